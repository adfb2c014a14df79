// A continuation that blocking work on a Dispatch worker and the waiter's cancellation race to
// resume.
import Dispatch
import Synchronization

/// Resumed by whichever comes first, the answer or the cancellation; later offers are dropped.
///
/// Blocking calls (`getaddrinfo`, a proxy probe) cannot be interrupted; with this the waiting
/// task returns at once on cancellation and the worker's late answer is simply discarded.
final class OneShot<Value: Sendable>: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<Value, any Error>?, done: Bool)>((nil, false))

    /// Runs `work` on a Dispatch worker and returns its answer, or throws `CancellationError`
    /// as soon as the calling task is cancelled.
    static func run(_ work: @escaping @Sendable () -> Value) async throws -> Value {
        let answer = OneShot<Value>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
                answer.install(continuation)
                if Task.isCancelled { answer.resume(with: .failure(CancellationError())) }
                DispatchQueue.global().async { answer.resume(with: .success(work())) }
            }
        } onCancel: {
            answer.resume(with: .failure(CancellationError()))
        }
    }

    private func install(_ continuation: CheckedContinuation<Value, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    private func resume(with result: Result<Value, any Error>) {
        let continuation = state.withLock { state -> CheckedContinuation<Value, any Error>? in
            guard !state.done, let continuation = state.continuation else { return nil }
            state.done = true
            state.continuation = nil
            return continuation
        }
        continuation?.resume(with: result)
    }
}
