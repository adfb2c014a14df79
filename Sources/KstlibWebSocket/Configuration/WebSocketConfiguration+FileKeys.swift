// The keys a configuration file may set: where each value lands and its bound.

extension WebSocketConfiguration {
    /// The keys of the `websocket:` section: where each value goes and its bound.
    static let fileOptions: [ConfigurationFileOption] = [
        .init("websocket.ping.interval") { $0.pingInterval = try $1.duration(in: Bounds.pingInterval) },
        .init("websocket.ping.timeout") { $0.pingTimeout = try $1.duration(in: Bounds.pingTimeout) },
        .init("websocket.connection.timeout") { $0.connectionTimeout = try $1.duration(in: Bounds.connectionTimeout) },
        .init("websocket.reconnect.auto") { $0.autoReconnect = try $1.bool() },
        .init("websocket.reconnect.strategy") { $0.reconnectStrategy = try $1.choice(of: ReconnectStrategy.self) },
        .init("websocket.reconnect.delay") { $0.reconnectDelay = try $1.duration(in: Bounds.reconnectDelay) },
        .init("websocket.reconnect.max_delay") { $0.maxReconnectDelay = try $1.duration(in: Bounds.maxReconnectDelay) },
        .init("websocket.reconnect.max_attempts") {
            $0.maxReconnectAttempts = try $1.integer(in: Bounds.maxReconnectAttempts)
        },
        .init("websocket.queue.size") { $0.queueSize = try $1.integer(in: Bounds.queueSize) },
        .init("websocket.queue.policy") { $0.queueOverflowPolicy = try $1.choice(of: QueueOverflowPolicy.self) },
        .init("websocket.queue.max_message_size") { $0.maxMessageSize = try $1.integer(in: Bounds.maxMessageSize) },
        .init("websocket.proactive.disconnect_check_interval") {
            $0.disconnectCheckInterval = try $1.duration(in: Bounds.disconnectCheckInterval)
        },
        .init("websocket.proactive.reconnect_check_interval") {
            $0.reconnectCheckInterval = try $1.duration(in: Bounds.reconnectCheckInterval)
        },
        .init("websocket.proactive.disconnect_margin") {
            $0.disconnectMargin = try $1.duration(in: Bounds.disconnectMargin)
        },
        .init("websocket.proactive.max_connection_age") { $0.maxConnectionAge = try $1.durationOrNone() },
        .init("websocket.compression.enabled") { $0.compression.enabled = try $1.bool() },
        .init("websocket.compression.client_max_window_bits") {
            $0.compression.clientMaxWindowBits = try $1.integer(in: Bounds.clientMaxWindowBits)
        },
        .init("websocket.compression.client_no_context_takeover") {
            $0.compression.clientNoContextTakeover = try $1.bool()
        },
    ]
}
