// Runs user callbacks in order, off the event-loop thread.

/// A serial queue of async callbacks.
///
/// User callbacks may be slow, may await and may throw; running them here keeps them off the
/// event-loop thread (which every connection of the process shares) while keeping their order.
final class CallbackQueue: Sendable {
    private let continuation: AsyncStream<@Sendable () async -> Void>.Continuation

    init() {
        let (stream, continuation) = AsyncStream<@Sendable () async -> Void>.makeStream()
        self.continuation = continuation
        Task.detached {
            for await job in stream { await job() }
        }
    }

    deinit { continuation.finish() }

    /// Queues `job` after every job queued before it.
    func run(_ job: @escaping @Sendable () async -> Void) {
        continuation.yield(job)
    }
}
