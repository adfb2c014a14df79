// ExchangeLimits: what the embedded server allows one client, as a market-data exchange does.

/// Limits the server enforces the way an exchange does: a client that breaks one is
/// disconnected with a close frame 1008 (policy violation) and a reason naming the limit, and the
/// violation is recorded (``EmbeddedWebSocketServer/limitViolations``). `nil` leaves a limit off.
///
/// The stream, message and topic limits apply to `/topics` connections, the exchange-style
/// endpoint; the connection window applies to every connection.
public struct ExchangeLimits: Sendable, Equatable {
    /// The most topics one connection may be subscribed to at once.
    public var maxStreamsPerConnection: Int?
    /// The most messages (subscribe, unsubscribe, anything) a connection may send in any second.
    public var maxIncomingMessagesPerSecond: Int?
    /// The most topics one subscribe or unsubscribe message may name.
    public var maxTopicsPerMessage: Int?
    /// The most new connections one address may open in any ``connectionWindow``.
    public var maxNewConnectionsPerWindow: Int?
    /// The window of ``maxNewConnectionsPerWindow``.
    public var connectionWindow: Duration

    /// Limits; every one off unless given.
    public init(
        maxStreamsPerConnection: Int? = nil, maxIncomingMessagesPerSecond: Int? = nil, maxTopicsPerMessage: Int? = nil,
        maxNewConnectionsPerWindow: Int? = nil, connectionWindow: Duration = .seconds(300)
    ) {
        self.maxStreamsPerConnection = maxStreamsPerConnection
        self.maxIncomingMessagesPerSecond = maxIncomingMessagesPerSecond
        self.maxTopicsPerMessage = maxTopicsPerMessage
        self.maxNewConnectionsPerWindow = maxNewConnectionsPerWindow
        self.connectionWindow = connectionWindow
    }
}
