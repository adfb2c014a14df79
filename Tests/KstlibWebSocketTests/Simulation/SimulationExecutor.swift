// One thread that runs every task of a simulated manager, in order, and says when it is idle.
import Foundation
import Glibc
import Synchronization

/// A `TaskExecutor` with one thread, for deterministic tests and the simulation.
///
/// The in-memory transport hands it to the manager as its task executor, so every task of the
/// manager (reconnects, timers, callbacks), every event the transport delivers and every user
/// call a test starts on it run here, one at a time, in the order they were enqueued. With the
/// virtual clock that makes a run repeatable, and ``idle()`` says when nothing is left to do
/// until the test acts or moves time.
final class SimulationExecutor: TaskExecutor, Sendable {
    private enum Item: Sendable {
        case job(UnownedJob)
        case body(@Sendable () -> Void)
    }

    private struct State {
        var items: [Item] = []
        var running = false
        var stopped = false
        /// The thread has ended: items pushed from now on (a manager freed after the test, its
        /// tasks ending) run on Dispatch's pool.
        var exited = false
        var idleWaiters: [(continuation: CheckedContinuation<Bool, Never>, deadline: Int)] = []
        var thread: pthread_t?
        /// Items run so far, to catch a run that never goes idle.
        var steps = 0
    }

    private let state = Mutex(State())
    private let wake = NSCondition()

    init() {
        let thread = Thread { [self] in run() }
        thread.name = "kstlib-simulation"
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) { push(.job(UnownedJob(job))) }

    /// Runs `body` on the simulation thread, after what is already queued.
    func execute(_ body: @escaping @Sendable () -> Void) { push(.body(body)) }

    /// Whether the caller runs on the simulation thread.
    var isCurrent: Bool { state.withLock { $0.thread }.map { pthread_equal($0, pthread_self()) != 0 } ?? false }

    /// Whether anything is queued (read on the simulation thread: what runs after the caller).
    var hasQueuedItems: Bool { state.withLock { !$0.items.isEmpty } }

    /// How many items have run so far.
    var steps: Int { state.withLock { $0.steps } }

    /// Returns `true` once nothing is queued and nothing runs; `false` if `budget` more items ran
    /// first (a livelock: something keeps scheduling work without time moving).
    @discardableResult
    func idle(budget: Int = 1_000_000) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let now = state.withLock { state -> Bool in
                if state.items.isEmpty && !state.running { return true }
                state.idleWaiters.append((continuation, state.steps + budget))
                return false
            }
            if now { continuation.resume(returning: true) }
        }
    }

    /// Ends the thread once the queue is empty (what is queued, and what that queues, still runs).
    func stop() {
        state.withLock { $0.stopped = true }
        signal()
    }

    private func push(_ item: Item) {
        let late = state.withLock { state -> Bool in
            guard !state.exited else { return true }
            state.items.append(item)
            return false
        }
        guard late else { return signal() }
        let executor = asUnownedTaskExecutor()
        DispatchQueue.global().async {
            switch item {
            case .job(let job): job.runSynchronously(on: executor)
            case .body(let body): body()
            }
        }
    }

    private func signal() {
        wake.lock()
        wake.broadcast()
        wake.unlock()
    }

    private func run() {
        state.withLock { $0.thread = pthread_self() }
        let executor = asUnownedTaskExecutor()
        while true {
            wake.lock()
            while state.withLock({ $0.items.isEmpty && !$0.stopped }) { wake.wait() }
            wake.unlock()
            let item = state.withLock { state -> Item? in
                // Empty here only once stopped (the wait above ends for nothing else).
                guard !state.items.isEmpty else {
                    state.exited = true
                    return nil
                }
                state.running = true
                state.steps += 1
                return state.items.removeFirst()
            }
            guard let item else { return }
            switch item {
            case .job(let job): job.runSynchronously(on: executor)
            case .body(let body): body()
            }
            let (idle, exhausted) = state.withLock {
                state -> ([CheckedContinuation<Bool, Never>], [CheckedContinuation<Bool, Never>]) in
                state.running = false
                if state.items.isEmpty {
                    defer { state.idleWaiters = [] }
                    return (state.idleWaiters.map(\.continuation), [])
                }
                let steps = state.steps
                let exhausted = state.idleWaiters.filter { $0.deadline <= steps }.map(\.continuation)
                state.idleWaiters.removeAll { $0.deadline <= steps }
                return ([], exhausted)
            }
            idle.forEach { $0.resume(returning: true) }
            exhausted.forEach { $0.resume(returning: false) }
        }
    }
}
