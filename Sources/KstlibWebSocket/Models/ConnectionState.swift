// The manager's connection state machine, as kstlib.websocket defines it.

/// Where a ``WebSocketManager`` is in its life.
///
/// `disconnected` (initial) → `connecting` → `connected`; `connected` → `reconnecting` →
/// `connected` on success or `disconnected` on failure; `connected` → `closing` → `closed`;
/// any state → `closed` on ``WebSocketManager/forceClose()``. `closed` is terminal.
public enum ConnectionState: String, Sendable, CaseIterable, CustomStringConvertible {
    /// No connection and none being made: the initial state, and where a proactive disconnect or
    /// a failed reconnect leaves the manager.
    case disconnected
    /// ``WebSocketManager/connect()`` is making its attempts.
    case connecting
    /// A connection is open: messages flow both ways.
    case connected
    /// A reactive disconnect happened; attempts to reconnect are under way.
    case reconnecting
    /// ``WebSocketManager/close()`` is waiting for the server's close frame.
    case closing
    /// Finished for good (``WebSocketManager/close()``, ``WebSocketManager/forceClose()``,
    /// ``WebSocketManager/shutdown()``).
    case closed

    /// Whether ``WebSocketManager/connect()`` may start from here: only `disconnected`. While
    /// `reconnecting` the manager is already making its attempts, and `connect()` refuses.
    public var canConnect: Bool { self == .disconnected }
    /// Whether messages may be sent.
    public var canSend: Bool { self == .connected }
    /// Whether the manager is finished for good.
    public var isTerminal: Bool { self == .closed }

    /// Whether the model allows moving from this state to `next`.
    func canTransition(to next: ConnectionState) -> Bool {
        if next == .closed { return self != .closed }
        switch (self, next) {
        case (.disconnected, .connecting), (.connecting, .connected), (.connecting, .disconnected),
            (.connected, .reconnecting), (.reconnecting, .connected), (.reconnecting, .disconnected),
            (.connected, .closing), (.connected, .disconnected), (.disconnected, .reconnecting),
            (.connecting, .closing), (.reconnecting, .closing), (.disconnected, .closing):
            return true
        default:
            return false
        }
    }

    /// The case name, as logged (`"connected"`).
    public var description: String { rawValue }
}
