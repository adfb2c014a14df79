// Runs user callbacks in order, off the event-loop thread.
import Logging
import Synchronization

/// A serial queue of async callbacks.
///
/// User callbacks may be slow, may await and may throw; running them here keeps them off the
/// event-loop thread (which every connection of the process shares) while keeping their order.
/// A callback that throws is logged and the next one runs: it never stops the stream. The task
/// behind the queue starts with the first callback, so a manager without callbacks costs nothing.
final class CallbackQueue: Sendable {
    private typealias Job = @Sendable () async throws -> Void
    private let logger: Logger
    private let continuation = Mutex<AsyncStream<Job>.Continuation?>(nil)

    init(logger: Logger) {
        self.logger = logger
    }

    deinit { continuation.withLock { $0?.finish() } }

    /// Queues `job` after every job queued before it.
    func run(_ job: @escaping @Sendable () async throws -> Void) {
        continuation.withLock { continuation in
            if continuation == nil {
                let (stream, newContinuation) = AsyncStream<Job>.makeStream()
                let logger = self.logger
                Task.detached {
                    for await job in stream {
                        do { try await job() } catch {
                            logger.warning("a callback threw", metadata: ["error": "\(error)"])
                        }
                    }
                }
                continuation = newContinuation
            }
            continuation?.yield(job)
        }
    }
}
