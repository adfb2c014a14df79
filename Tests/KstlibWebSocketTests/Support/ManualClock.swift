// A clock that moves only when the test moves it.
import Synchronization

/// A `Clock` whose time stands still until ``advance(by:)``: a test can then say exactly what
/// happened within one interval (nothing the manager times on this clock can fire early, or
/// late), with no real waiting. Sleeps due at or before `now` return at once.
final class ManualClock: Clock, Sendable {
    typealias Duration = Swift.Duration

    struct Instant: InstantProtocol {
        typealias Duration = Swift.Duration
        /// Time since the clock was created.
        let offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private struct State {
        var now = Duration.zero
        var sleepers: [Int: (deadline: Duration, continuation: CheckedContinuation<Void, any Error>)] = [:]
        var nextID = 0
        /// Who waits for a number of sleepers to be pending.
        var countWaiters: [Int: (count: Int, continuation: CheckedContinuation<Bool, Never>)] = [:]
    }

    private let state = Mutex(State())

    init() {}

    var now: Instant { Instant(offset: state.withLock { $0.now }) }

    var minimumResolution: Duration { .nanoseconds(1) }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (outcome, ready) = state.withLock {
                    state -> (Result<Void, any Error>?, [CheckedContinuation<Bool, Never>]) in
                    if Task.isCancelled { return (.failure(CancellationError()), []) }
                    if deadline.offset <= state.now { return (.success(()), []) }
                    state.sleepers[id] = (deadline.offset, continuation)
                    return (nil, Self.readyCountWaiters(&state))
                }
                if let outcome { continuation.resume(with: outcome) }
                ready.forEach { $0.resume(returning: true) }
            }
        } onCancel: {
            state.withLock { $0.sleepers.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time on by `duration`, waking every sleep that is then due.
    func advance(by duration: Duration) {
        let due = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.now += duration
            // Soonest first, then in the order they began: never the dictionary's order, which
            // changes from one process to the next.
            let due = state.sleepers.filter { $0.value.deadline <= state.now }
                .sorted { ($0.value.deadline, $0.key) < ($1.value.deadline, $1.key) }
            for (id, _) in due { state.sleepers[id] = nil }
            return due.map(\.value.continuation)
        }
        due.forEach { $0.resume() }
    }

    /// Ends every pending sleep with `CancellationError` and returns how many there were: when a
    /// test is over, the tasks sleeping on this clock run to their end instead of staying
    /// suspended for ever (which LeakSanitizer reports).
    @discardableResult
    func cancelSleeps() -> Int {
        let sleeping = state.withLock { state in
            defer { state.sleepers = [:] }
            return state.sleepers.values.map(\.continuation)
        }
        sleeping.forEach { $0.resume(throwing: CancellationError()) }
        return sleeping.count
    }

    /// How many sleeps are pending.
    var pendingSleeps: Int { state.withLock { $0.sleepers.count } }

    /// How long until each pending sleep is due, soonest first.
    var pendingDelays: [Duration] {
        state.withLock { state in state.sleepers.values.map { $0.deadline - state.now }.sorted() }
    }

    /// The time since the clock was created.
    var elapsed: Duration { state.withLock { $0.now } }

    /// Waits until at least `count` sleeps are pending; `false` after `timeout` of real time.
    func waitForSleeps(_ count: Int, timeout: Duration = .seconds(20)) async -> Bool {
        await waitWithTimeout(timeout) { [self] id, continuation in
            state.withLock { state -> Bool in
                if state.sleepers.count >= count { return true }
                state.countWaiters[id] = (count, continuation)
                return false
            }
        } cancel: { [self] id in
            state.withLock { $0.countWaiters.removeValue(forKey: id)?.continuation }
        }
    }

    private static func readyCountWaiters(_ state: inout State) -> [CheckedContinuation<Bool, Never>] {
        var ready: [CheckedContinuation<Bool, Never>] = []
        for (id, waiter) in state.countWaiters where waiter.count <= state.sleepers.count {
            ready.append(waiter.continuation)
            state.countWaiters[id] = nil
        }
        return ready
    }
}
