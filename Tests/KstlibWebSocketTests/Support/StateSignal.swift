// Waiting on a Mutex-guarded state, for the test servers' threads.
import Foundation
import Synchronization

/// Wake-ups for threads that wait on a `Mutex`-guarded state (`Mutex` cannot wait by itself).
///
/// The protocol avoids lost wake-ups: a writer changes the state, then takes the condition's lock
/// and broadcasts; a waiter holds the condition's lock from checking its predicate until `wait`
/// releases it, so a change is either seen by the check or followed by a broadcast the waiter
/// receives.
final class StateSignal: Sendable {
    private let condition = NSCondition()

    /// Applies `change` to `state`, then wakes every waiter.
    func update<State>(_ state: borrowing Mutex<State>, _ change: (inout State) -> Void) {
        state.withLock { change(&$0) }
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks until `predicate` holds for `state`; false on timeout.
    func wait<State>(
        on state: borrowing Mutex<State>, timeout: Duration, until predicate: (State) -> Bool
    ) -> Bool {
        let (seconds, attoseconds) = timeout.components
        let limit = Date(timeIntervalSinceNow: Double(seconds) + Double(attoseconds) / 1e18)
        condition.lock()
        defer { condition.unlock() }
        while !state.withLock({ predicate($0) }) {
            if !condition.wait(until: limit) { return state.withLock { predicate($0) } }
        }
        return true
    }
}
