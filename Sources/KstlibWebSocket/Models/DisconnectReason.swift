// Why a connection ended: chosen by the application (proactive) or imposed on it (reactive).

/// Why a connection ended.
///
/// Proactive reasons are the application's decision and reconnect only when scheduled; reactive
/// ones are imposed by the network or the server and trigger auto-reconnect when enabled.
public enum DisconnectReason: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The application asked (``WebSocketManager/requestDisconnect(reconnectAfter:reason:)``, `close()`).
    case userRequested
    /// A scheduled rotation.
    case scheduled
    /// ``WebSocketConfiguration/shouldDisconnect`` said so.
    case callbackTriggered
    /// Rotated ahead of the platform's connection-age limit.
    case connectionLimit
    /// The server sent a close frame.
    case serverClosed
    /// The TCP connection dropped or failed.
    case networkError
    /// No pong arrived within ``WebSocketConfiguration/pingTimeout``.
    case pingTimeout
    /// The server violated the protocol.
    case protocolError
    /// ``WebSocketManager/kill()`` simulated an external cut.
    case killed

    /// Whether the application chose this disconnect.
    public var isProactive: Bool {
        switch self {
        case .userRequested, .scheduled, .callbackTriggered, .connectionLimit: return true
        default: return false
        }
    }

    /// Whether the disconnect was imposed on the application.
    public var isReactive: Bool { !isProactive }

    /// The case name, as logged and passed to close reasons (`"callbackTriggered"`).
    public var description: String { rawValue }
}
