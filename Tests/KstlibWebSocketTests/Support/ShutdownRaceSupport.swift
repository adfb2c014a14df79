// Helpers of the ShutdownRace suites: a stream consumer that counts, and a callback recorder
// split at the return of close().
import Synchronization
@testable import KstlibWebSocket

/// Iterates `stream` to its end, counting messages; logs once to `started` at the first one.
func consume(_ stream: WebSocketMessageStream, started: EventLog<Int>? = nil) async -> (
    count: Int, error: (any Error)?
) {
    var count = 0
    do {
        for try await _ in stream {
            count += 1
            if count == 1 { started?.append(1) }
        }
        return (count, nil)
    } catch {
        return (count, error)
    }
}

/// Callbacks as they happen, split at the moment `close()` returned.
final class CallbackRecorder: Sendable {
    private struct State {
        var events: [String] = []
        var messages = 0
        var returned = false
        var late: [String] = []
    }
    private let state = Mutex(State())

    func record(_ event: String) {
        state.withLock { state in
            if state.returned { state.late.append(event) }
            if event == "message" { state.messages += 1 } else { state.events.append(event) }
        }
    }

    /// Marks the return of `close()`; what was recorded until then.
    func closeReturned() -> (messages: Int, events: [String]) {
        state.withLock { state in
            state.returned = true
            return (state.messages, state.events)
        }
    }

    var late: [String] { state.withLock { $0.late } }

    func count(of event: String) -> Int {
        state.withLock { event == "message" ? $0.messages : $0.events.filter { $0 == event }.count }
    }
}
