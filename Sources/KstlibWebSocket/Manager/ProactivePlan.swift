// What follows a proactive disconnect.

/// What the manager does once a connection it closed on purpose is gone.
enum ProactivePlan: Sendable {
    /// Reconnect after this delay.
    case reconnectAfter(Duration)
    /// Ask ``WebSocketConfiguration/shouldReconnect`` every ``WebSocketConfiguration/reconnectCheckInterval``.
    case askShouldReconnect
    /// Stay disconnected until the application calls `connect()` or `scheduleReconnect(after:)`.
    case stayDisconnected
}
