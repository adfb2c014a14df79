// Make-before-break: two connections' messages merged so each is delivered once, in order.
import Synchronization

/// Merges the old and the new connection's messages during a gapless rotation.
///
/// The old connection stays the source of truth until the two overlap. The new connection's
/// messages are held back; each one is recognised by its key (``WebSocketConfiguration/messageKey``,
/// by default the whole message). The switch happens at the first message both connections
/// carried: everything the new connection received up to and including it was already
/// delivered by the old one and is dropped, everything after it is delivered, and from then on
/// only the new connection counts. Nothing is lost (the old connection delivered everything up to
/// the overlap) and nothing is delivered twice.
///
/// Every method runs on the event-loop thread (both connections share it); the state is still
/// behind a mutex because the manager reads it from tasks.
final class RotationMerger: Sendable {
    /// A message's identity across connections.
    enum Key: Hashable, Sendable {
        case message(WebSocketMessage)
        case custom(String)
    }

    private struct State {
        var deliveredKeys: Set<Key> = []
        var held: [(message: WebSocketMessage, key: Key?)] = []
        var switched = false
        var waiter: CheckedContinuation<Bool, Never>?
    }

    /// The connection being replaced.
    let old: ConnectionLink
    private let key: @Sendable (WebSocketMessage) -> Key?
    /// How many messages the new connection may hold back before the merge gives up waiting.
    let holdLimit: Int
    private let state = Mutex(State())

    init(old: ConnectionLink, messageKey: (@Sendable (WebSocketMessage) -> String?)?, holdLimit: Int = 100_000) {
        self.old = old
        self.holdLimit = holdLimit
        if let messageKey {
            key = { messageKey($0).map(Key.custom) }
        } else {
            key = { Key.message($0) }
        }
    }

    var hasSwitched: Bool { state.withLock { $0.switched } }

    /// A message from the old connection: the messages to deliver now.
    func fromOld(_ message: WebSocketMessage) -> [WebSocketMessage] {
        let (out, waiter) = state.withLock { state -> ([WebSocketMessage], CheckedContinuation<Bool, Never>?) in
            if state.switched { return ([], nil) }
            guard let key = key(message) else { return ([message], nil) }
            state.deliveredKeys.insert(key)
            // The new connection may already hold this message: the overlap is found.
            guard let index = state.held.firstIndex(where: { $0.key == key }) else { return ([message], nil) }
            let after = state.held[(index + 1)...].map(\.message)
            return ([message] + after, Self.switchOver(&state))
        }
        waiter?.resume(returning: true)
        return out
    }

    /// A message from the new connection: the messages to deliver now.
    func fromNew(_ message: WebSocketMessage) -> [WebSocketMessage] {
        let (out, waiter) = state.withLock { state -> ([WebSocketMessage], CheckedContinuation<Bool, Never>?) in
            if state.switched { return ([message], nil) }
            let messageKey = key(message)
            if let messageKey, state.deliveredKeys.contains(messageKey) {
                // The old connection delivered it: the new one has caught up. What it held
                // before this point is older still, so it was delivered too.
                return ([], Self.switchOver(&state))
            }
            state.held.append((message, messageKey))
            if state.held.count >= holdLimit { return (forcedFlush(&state), Self.switchOver(&state)) }
            return ([], nil)
        }
        waiter?.resume(returning: true)
        return out
    }

    /// Gives up waiting for an overlap: delivers what the new connection held, minus what the old
    /// one delivered, and switches. Returns those messages.
    func forceSwitch() -> [WebSocketMessage] {
        let (out, waiter) = state.withLock { state -> ([WebSocketMessage], CheckedContinuation<Bool, Never>?) in
            if state.switched { return ([], nil) }
            return (forcedFlush(&state), Self.switchOver(&state))
        }
        waiter?.resume(returning: false)
        return out
    }

    /// Waits until the connections overlapped (`true`), or the merge was forced or the wait
    /// cancelled (`false`).
    func waitForSwitch() async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let immediate = state.withLock { state -> Bool? in
                    if state.switched { return true }
                    if Task.isCancelled { return false }
                    state.waiter = continuation
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: false)
        }
    }

    private func forcedFlush(_ state: inout State) -> [WebSocketMessage] {
        state.held.filter { item in item.key.map { !state.deliveredKeys.contains($0) } ?? true }.map(\.message)
    }

    private static func switchOver(_ state: inout State) -> CheckedContinuation<Bool, Never>? {
        state.switched = true
        state.held = []
        state.deliveredKeys = []
        defer { state.waiter = nil }
        return state.waiter
    }
}


