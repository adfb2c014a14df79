// One manager's outgoing rate: shared by its connections, timed by its clock.
import Synchronization

/// Hands out permissions to send under ``WebSocketConfiguration/OutgoingRate``.
///
/// One per manager, not per connection: a reconnect (or a rotation's second connection) must
/// not start from a fresh allowance, or a flapping link would multiply the rate the server sees.
/// Time comes from the manager's clock, so tests can step it. The ``SendGate``s ask it under
/// their own lock, which keeps the order of the frames; it never calls back into them.
final class OutgoingPacer: Sendable {
    private struct State {
        var window: RateWindow
        /// Since when the queue has been held back for want of a permission, and until when.
        var blocked: (since: Duration, until: Duration)?
        var waited: Duration = .zero
        var granted = 0
    }

    let rate: WebSocketConfiguration.OutgoingRate
    private let clock: any Clock<Duration>
    private let elapsed: @Sendable () -> Duration
    private let state: Mutex<State>

    init(_ rate: WebSocketConfiguration.OutgoingRate, clock: any Clock<Duration>) {
        self.rate = rate
        self.clock = clock
        elapsed = Self.stopwatch(clock)
        let (messages, per) = rate.effective
        state = Mutex(State(window: RateWindow(limit: messages, per: per)))
    }

    /// The time since `clock`'s now at creation; the instants of an `any Clock` cannot be stored
    /// without opening it.
    private static func stopwatch<C: Clock<Duration>>(_ clock: C) -> @Sendable () -> Duration {
        let start = clock.now
        return { start.duration(to: clock.now) }
    }

    /// Takes a permission: `nil` when the message may go now, else how long until one frees up.
    func take() -> Duration? {
        let now = elapsed()
        return state.withLock { state in
            guard let wait = state.window.take(at: now) else {
                Self.endBlock(&state, at: now)
                state.granted += 1
                return nil
            }
            if state.blocked == nil { state.blocked = (now, now + wait) }
            return wait
        }
    }

    /// The queue emptied without a send (its senders gave up): the wait ends now, not when the
    /// next message happens to come.
    func queueEmptied() {
        let now = elapsed()
        state.withLock { Self.endBlock(&$0, at: now) }
    }

    /// Adds the block in progress to the waiting time, up to when a permission was free.
    private static func endBlock(_ state: inout State, at now: Duration) {
        guard let blocked = state.blocked else { return }
        state.waited += min(now, blocked.until) - blocked.since
        state.blocked = nil
    }

    /// Sleeps on the manager's clock.
    func sleep(for duration: Duration) async throws { try await clock.sleep(for: duration) }

    /// The total time the outgoing queue waited for the rate, for ``WebSocketStats``.
    var waited: Duration { state.withLock { $0.waited } }

    /// How many messages it let through (tests compare it with what the server saw).
    var granted: Int { state.withLock { $0.granted } }

    /// Starts the waiting time again from zero (``WebSocketManager/resetStats()``).
    func resetWaited() { state.withLock { $0.waited = .zero } }
}
