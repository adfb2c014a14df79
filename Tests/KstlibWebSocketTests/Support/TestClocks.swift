// An injectable clock that records what the manager asks to wait for, and a log of callbacks
// that tests can await.
import Foundation
import Synchronization
import KstlibWebSocket

/// A `Clock` for tests: it records every sleep the manager requests, exactly, and really sleeps
/// only a scaled-down amount (duration / `scale`, capped at `cap`), so a backoff of
/// 1 s, 2 s, 4 s ... costs milliseconds while the recorded durations stay what was asked for.
///
/// Timeouts (connect, close, receive, waitConnected) go through the same clock. Scaling them
/// would make a 5 s connect timeout fire after 5 ms, so sleeps of at least `realTimeFrom` are
/// slept for their full real duration instead: give the manager such timeouts (they are
/// cancelled as soon as the operation they guard finishes) and keep backoff delays below.
/// ``delays`` lists the scaled sleeps only, ``timeouts`` the real-time ones.
///
/// Virtual time: ``now`` advances when a sleep completes (to its deadline, never backwards).
/// Each ``Instant`` also remembers how far it was advanced from the `now` it was derived from, so
/// `sleep(for: d)` (the standard extension, which calls `sleep(until: now.advanced(by: d))`)
/// is recorded as exactly `d` even when other sleeps complete concurrently.
///
/// ``hold()`` makes scaled sleeps wait until ``release()``: a test can stop the manager's next
/// reconnect attempt from running until it has prepared the world (say, a stopped server).
final class RecordingClock: Clock, Sendable {
    typealias Duration = Swift.Duration

    struct Instant: InstantProtocol {
        typealias Duration = Swift.Duration
        /// Virtual time since the clock was created.
        let offset: Duration
        /// How far this instant lies past the `now` it was derived from.
        let step: Duration

        func advanced(by duration: Duration) -> Instant {
            Instant(offset: offset + duration, step: step + duration)
        }

        func duration(to other: Instant) -> Duration { other.offset - offset }

        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
        static func == (lhs: Instant, rhs: Instant) -> Bool { lhs.offset == rhs.offset }
        func hash(into hasher: inout Hasher) { hasher.combine(offset) }
    }

    /// One requested sleep.
    struct Sleep: Sendable, Equatable {
        enum Outcome: Sendable, Equatable {
            case pending
            case completed
            case cancelled
        }
        /// The duration the caller asked for.
        let duration: Duration
        /// Whether it was slept in real time (a timeout) rather than scaled.
        let realTime: Bool
        var outcome: Outcome
    }

    private struct State {
        var now = Duration.zero
        var sleeps: [Sleep] = []
        var held = false
        var heldWaiters: [Int: CheckedContinuation<Void, any Error>] = [:]
        var nextWaiterID = 0
        /// Who waits for a number of scaled sleeps to have been requested.
        var countWaiters: [Int: (count: Int, continuation: CheckedContinuation<Bool, Never>)] = [:]
    }

    private let state = Mutex(State())
    private let scale: Int
    private let cap: Duration
    private let realTimeFrom: Duration?

    /// - Parameters:
    ///   - scale: real sleeps last `duration / scale`.
    ///   - cap: the longest real sleep for a scaled duration.
    ///   - realTimeFrom: sleeps of at least this long are slept in full (timeouts); `nil` scales all.
    init(scale: Int = 1000, cap: Duration = .milliseconds(50), realTimeFrom: Duration? = nil) {
        self.scale = scale
        self.cap = cap
        self.realTimeFrom = realTimeFrom
    }

    // MARK: Clock

    var now: Instant { Instant(offset: state.withLock { $0.now }, step: .zero) }

    var minimumResolution: Duration { .nanoseconds(1) }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let requested = max(.zero, deadline.step)
        let realTime = realTimeFrom.map { requested >= $0 } ?? false
        let (index, countWaiters) = state.withLock { state -> (Int, [CheckedContinuation<Bool, Never>]) in
            state.sleeps.append(Sleep(duration: requested, realTime: realTime, outcome: .pending))
            let scaledCount = state.sleeps.lazy.filter { !$0.realTime }.count
            var ready: [CheckedContinuation<Bool, Never>] = []
            for (id, waiter) in state.countWaiters where waiter.count <= scaledCount {
                ready.append(waiter.continuation)
                state.countWaiters[id] = nil
            }
            return (state.sleeps.count - 1, ready)
        }
        countWaiters.forEach { $0.resume(returning: true) }
        do {
            if realTime {
                try await Task.sleep(for: requested)
            } else {
                try await waitWhileHeld()
                let real = min(requested / scale, cap)
                if real > .zero {
                    try await Task.sleep(for: real)
                } else {
                    try Task.checkCancellation()
                    await Task.yield()
                }
            }
        } catch {
            state.withLock { $0.sleeps[index].outcome = .cancelled }
            throw error
        }
        state.withLock { state in
            state.sleeps[index].outcome = .completed
            state.now = max(state.now, deadline.offset)
        }
    }

    // MARK: What was recorded

    /// Every sleep requested so far, in request order.
    var sleeps: [Sleep] { state.withLock { $0.sleeps } }

    /// The durations of the scaled sleeps (backoff and other delays), in request order.
    var delays: [Duration] { sleeps.filter { !$0.realTime }.map(\.duration) }

    /// The durations of the real-time sleeps (timeouts), in request order.
    var timeouts: [Duration] { sleeps.filter(\.realTime).map(\.duration) }

    /// Waits until at least `count` scaled sleeps were requested; `false` after `timeout`.
    func waitForDelays(_ count: Int, timeout: Duration = .seconds(30)) async -> Bool {
        await waitWithTimeout(timeout) { [self] id, continuation in
            state.withLock { state -> Bool in
                if state.sleeps.lazy.filter({ !$0.realTime }).count >= count { return true }
                state.countWaiters[id] = (count, continuation)
                return false
            }
        } cancel: { [self] id in
            state.withLock { $0.countWaiters.removeValue(forKey: id)?.continuation }
        }
    }

    // MARK: Holding

    /// Makes scaled sleeps wait (after being recorded) until ``release()``.
    func hold() { state.withLock { $0.held = true } }

    /// Lets held sleeps go on, and later ones run freely.
    func release() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.held = false
            defer { state.heldWaiters = [:] }
            return Array(state.heldWaiters.values)
        }
        waiters.forEach { $0.resume() }
    }

    private func waitWhileHeld() async throws {
        let id = state.withLock { state -> Int in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let proceed = state.withLock { state -> Result<Void, any Error>? in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    guard state.held else { return .success(()) }
                    state.heldWaiters[id] = continuation
                    return nil
                }
                if let proceed { continuation.resume(with: proceed) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.heldWaiters.removeValue(forKey: id) }
            waiter?.resume(throwing: CancellationError())
        }
    }
}

/// A callback the manager made, as tests record them.
enum ManagerEvent: Sendable, Equatable, CustomStringConvertible {
    case connect
    case disconnect(DisconnectReason)
    case alert(channel: String, message: String)

    var description: String {
        switch self {
        case .connect: return "connect"
        case .disconnect(let reason): return "disconnect(\(reason))"
        case .alert(let channel, _): return "alert(\(channel))"
        }
    }
}

/// An ordered, thread-safe log that tests can wait on (callbacks run off the test's task).
final class EventLog<Event: Sendable>: Sendable {
    private struct State {
        var events: [Event] = []
        var waiters: [Int: (count: Int, continuation: CheckedContinuation<Bool, Never>)] = [:]
    }
    private let state = Mutex(State())

    init() {}

    func append(_ event: Event) {
        let ready = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.events.append(event)
            let count = state.events.count
            var ready: [CheckedContinuation<Bool, Never>] = []
            for (id, waiter) in state.waiters where waiter.count <= count {
                ready.append(waiter.continuation)
                state.waiters[id] = nil
            }
            return ready
        }
        ready.forEach { $0.resume(returning: true) }
    }

    var events: [Event] { state.withLock { $0.events } }

    /// Waits until at least `count` events were logged; `false` after `timeout`.
    func wait(count: Int, timeout: Duration = .seconds(30)) async -> Bool {
        await waitWithTimeout(timeout) { [self] id, continuation in
            state.withLock { state -> Bool in
                if state.events.count >= count { return true }
                state.waiters[id] = (count, continuation)
                return false
            }
        } cancel: { [self] id in
            state.withLock { $0.waiters.removeValue(forKey: id)?.continuation }
        }
    }
}

/// Waits for a continuation-based condition, or `timeout` of real time.
///
/// `register` is called with a fresh id and the continuation; it returns `true` when the
/// condition already holds (the continuation is then not kept), else it stores the continuation
/// under the id. `cancel` takes it back out (for the timeout), returning it if still stored.
func waitWithTimeout(
    _ timeout: Duration,
    register: @escaping @Sendable (Int, CheckedContinuation<Bool, Never>) -> Bool,
    cancel: @escaping @Sendable (Int) -> CheckedContinuation<Bool, Never>?
) async -> Bool {
    let id = waiterIDs.add(1, ordering: .relaxed).newValue
    return await withTaskGroup(of: Bool.self) { group in
        group.addTask {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                    if Task.isCancelled {
                        continuation.resume(returning: false)
                    } else if register(id, continuation) {
                        continuation.resume(returning: true)
                    } else if Task.isCancelled, let mine = cancel(id) {
                        // Cancelled between the check and the registration.
                        mine.resume(returning: false)
                    }
                }
            } onCancel: {
                cancel(id)?.resume(returning: false)
            }
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return false
        }
        let first = await group.next() ?? false
        group.cancelAll()
        return first
    }
}

private let waiterIDs = Atomic<Int>(0)

extension WebSocketConfiguration {
    /// Logs onConnect, onDisconnect and onAlert into `log`.
    mutating func record(into log: EventLog<ManagerEvent>) {
        onConnect = { log.append(.connect) }
        onDisconnect = { log.append(.disconnect($0)) }
        onAlert = { log.append(.alert(channel: $0.channel, message: $0.message)) }
    }
}

/// The fields of a JSON object message, `nil` for anything else.
func jsonFields(_ message: WebSocketMessage) -> [String: Any]? {
    guard let object = try? JSONSerialization.jsonObject(with: Data(message.bytes)) else { return nil }
    return object as? [String: Any]
}

/// The `seq` of a ticker quote (or a `/control` `send` message), `nil` for anything else.
func sequenceNumber(_ message: WebSocketMessage) -> Int? {
    jsonFields(message)?["seq"] as? Int
}
