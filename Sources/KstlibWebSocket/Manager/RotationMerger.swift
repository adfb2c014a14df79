// Make-before-break: two connections' messages merged so each is delivered once, in order.
import Synchronization

/// Merges the old and the new connection's messages during a gapless rotation.
///
/// Each message is recognised by its key (``WebSocketConfiguration/messageKey``, by default the
/// whole message). The old connection stays the source of truth until the two overlap:
/// - the new connection is *ahead* (its first messages were not delivered yet): it holds them
///   back until the old connection delivers one of them; the switch happens there, and what the
///   new connection held after that message is delivered;
/// - the new connection is *behind* (it brings a message the old one already delivered): the old
///   connection is frozen at once, and the new one's messages are dropped until the first one
///   the old connection never delivered.
/// Either way nothing is lost (the old connection delivered everything up to the switch) and
/// nothing is delivered twice, provided both connections carry the same ordered feed.
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
        /// Keys the old connection delivered since the rotation started.
        var deliveredKeys: Set<Key> = []
        var held: [(message: WebSocketMessage, key: Key?)] = []
        var switched = false
        /// After the switch, the new connection's messages the old one delivered are skipped.
        var catchingUp = false
        /// The manager has made the new connection its current one.
        var promoted = false
        /// One of the two connections ended before the rotation was over.
        var abandoned = false
        var waiter: CheckedContinuation<Bool, Never>?
    }

    /// The connection being replaced.
    let old: ConnectionLink
    private let key: @Sendable (WebSocketMessage) -> Key?
    /// How many messages the new connection may hold back before the merge stops waiting.
    let holdLimit: Int
    private let state = Mutex(State())

    /// - Parameter alreadyDelivered: messages delivered just before the rotation started; a new
    ///   connection that repeats one of them is behind, as if the old one had delivered it since.
    init(
        old: ConnectionLink, messageKey: (@Sendable (WebSocketMessage) -> String?)?,
        alreadyDelivered: [WebSocketMessage] = [], holdLimit: Int = 100_000
    ) {
        self.old = old
        self.holdLimit = holdLimit
        let key: @Sendable (WebSocketMessage) -> Key?
        if let messageKey {
            key = { messageKey($0).map(Key.custom) }
        } else {
            key = { Key.message($0) }
        }
        self.key = key
        state.withLock { $0.deliveredKeys = Set(alreadyDelivered.compactMap(key)) }
    }

    /// Whether the merger has nothing left to do: switched, caught up, and the new connection
    /// promoted. Until then it must stay in the delivery path.
    var isFinished: Bool { state.withLock { $0.switched && !$0.catchingUp && $0.promoted } }

    /// Records that the manager now treats the new connection as its own.
    func markPromoted() { state.withLock { $0.promoted = true } }

    /// Whether the merge has switched to the new connection (the old one is frozen).
    var isSwitched: Bool { state.withLock { $0.switched } }

    /// Whether the manager has made the new connection its current one.
    var isPromoted: Bool { state.withLock { $0.promoted } }

    /// Whether one of the connections ended before the rotation was over.
    var isAbandoned: Bool { state.withLock { $0.abandoned } }

    /// One of the connections ended: the merge stops (its held messages are not delivered) and
    /// whoever waits for the switch is told it did not overlap.
    func abandon() {
        state.withLock { $0.abandoned = true }
        _ = forceSwitch()
    }

    /// A message from the old connection: the messages to deliver now.
    func fromOld(_ message: WebSocketMessage) -> [WebSocketMessage] {
        let (out, waiter) = state.withLock { state -> ([WebSocketMessage], CheckedContinuation<Bool, Never>?) in
            if state.switched { return ([], nil) }
            guard let key = key(message) else { return ([message], nil) }
            state.deliveredKeys.insert(key)
            // The new connection already holds this message: it was ahead, the overlap is here.
            guard let index = state.held.firstIndex(where: { $0.key == key }) else { return ([message], nil) }
            let after = state.held[(index + 1)...].map(\.message)
            state.held = []
            state.deliveredKeys = []
            return ([message] + after, Self.switchOver(&state, catchingUp: false))
        }
        waiter?.resume(returning: true)
        return out
    }

    /// A message from the new connection: the messages to deliver now.
    func fromNew(_ message: WebSocketMessage) -> [WebSocketMessage] {
        let (out, waiter) = state.withLock { state -> ([WebSocketMessage], CheckedContinuation<Bool, Never>?) in
            let messageKey = key(message)
            if state.switched {
                guard state.catchingUp else { return ([message], nil) }
                if let messageKey, state.deliveredKeys.contains(messageKey) { return ([], nil) }
                state.catchingUp = false
                state.deliveredKeys = []
                return ([message], nil)
            }
            if let messageKey, state.deliveredKeys.contains(messageKey) {
                // The new connection is behind: freeze the old one here and let the new one
                // catch up past what was delivered.
                state.held = []
                return ([], Self.switchOver(&state, catchingUp: true))
            }
            state.held.append((message, messageKey))
            if state.held.count >= holdLimit {
                return (Self.forcedFlush(&state), Self.switchOver(&state, catchingUp: true))
            }
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
            return (Self.forcedFlush(&state), Self.switchOver(&state, catchingUp: true))
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

    private static func forcedFlush(_ state: inout State) -> [WebSocketMessage] {
        let out = state.held.filter { item in item.key.map { !state.deliveredKeys.contains($0) } ?? true }.map(
            \.message)
        state.held = []
        return out
    }

    private static func switchOver(_ state: inout State, catchingUp: Bool) -> CheckedContinuation<Bool, Never>? {
        state.switched = true
        state.catchingUp = catchingUp
        defer { state.waiter = nil }
        return state.waiter
    }
}
