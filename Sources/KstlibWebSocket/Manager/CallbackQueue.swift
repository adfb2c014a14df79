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

    private struct State {
        var continuation: AsyncStream<Job>.Continuation?
        var worker: Task<Void, Never>?
        /// Set by ``finish(within:)``: later jobs are dropped.
        var finished = false
    }

    /// The queue whose job the current task is running, so that a callback closing its own
    /// manager does not wait for itself.
    @TaskLocal private static var running: ObjectIdentifier?

    private let logger: Logger
    /// Where the queue's tasks run (the manager's task executor; `nil`: the global pool).
    private let executor: (any TaskExecutor)?
    private let state = Mutex(State())

    init(logger: Logger, executor: (any TaskExecutor)? = nil) {
        self.logger = logger
        self.executor = executor
    }

    deinit { state.withLock { $0.continuation?.finish() } }

    /// Queues `job` after every job queued before it; dropped once the queue has finished.
    func run(_ job: @escaping @Sendable () async throws -> Void) {
        state.withLock { state in
            guard !state.finished else { return }
            if state.continuation == nil {
                let (stream, continuation) = AsyncStream<Job>.makeStream()
                let logger = self.logger
                let id = ObjectIdentifier(self)
                state.worker = Task.detached(executorPreference: executor) {
                    await Self.$running.withValue(id) {
                        for await job in stream {
                            // Cancelled by a `finish` that gave up waiting: start nothing more.
                            if Task.isCancelled { break }
                            do { try await job() } catch {
                                logger.warning("a callback threw", metadata: ["error": "\(error)"])
                            }
                        }
                    }
                }
                state.continuation = continuation
            }
            state.continuation?.yield(job)
        }
    }

    /// Takes no more jobs and waits until the queued ones have run, so that no callback starts
    /// after the manager's `close()` has returned.
    ///
    /// A callback that closes its own manager does not wait (it would wait for itself). After
    /// `limit` the jobs not yet started are dropped, so that a callback that never returns cannot
    /// hang `close()`; the limit is real time, not the manager's clock, whose test doubles
    /// record or hold every sleep.
    func finish(within limit: Duration) async {
        let worker = state.withLock { state -> Task<Void, Never>? in
            state.finished = true
            state.continuation?.finish()
            return state.worker
        }
        guard let worker, Self.running != ObjectIdentifier(self) else { return }
        let (outcome, report) = AsyncStream<Bool>.makeStream()
        Task(executorPreference: executor) {
            await worker.value
            report.yield(true)
        }
        let timer = Task(executorPreference: executor) {
            if (try? await Task.sleep(for: limit)) != nil { report.yield(false) }
        }
        var first = outcome.makeAsyncIterator()
        let drained = await first.next() ?? false
        timer.cancel()
        report.finish()
        if !drained {
            // Cancelling the worker ends its loop: the callbacks not yet started never run.
            worker.cancel()
            logger.warning("callbacks still running when close() ended; the remaining ones are dropped")
        }
    }
}
