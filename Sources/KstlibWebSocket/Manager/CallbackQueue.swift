// Runs user callbacks in order, off the event-loop thread.

import Logging

/// A serial queue of async callbacks.
///
/// User callbacks may be slow, may await and may throw; running them here keeps them off the
/// event-loop thread (which every connection of the process shares) while keeping their order.
/// A callback that throws is logged and the next one runs: it never stops the stream.
final class CallbackQueue: Sendable {
    private let continuation: AsyncStream<@Sendable () async throws -> Void>.Continuation

    init(logger: Logger) {
        let (stream, continuation) = AsyncStream<@Sendable () async throws -> Void>.makeStream()
        self.continuation = continuation
        Task.detached {
            for await job in stream {
                do { try await job() } catch { logger.warning("a callback threw", metadata: ["error": "\(error)"]) }
            }
        }
    }

    deinit { continuation.finish() }

    /// Queues `job` after every job queued before it.
    func run(_ job: @escaping @Sendable () async throws -> Void) {
        continuation.yield(job)
    }
}
