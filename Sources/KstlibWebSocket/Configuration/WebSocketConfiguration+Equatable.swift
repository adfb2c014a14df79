// Comparing configurations: every option, never the callbacks.

extension WebSocketConfiguration {
    /// Whether every option is the same; callbacks (and the retry policy, a closure) are not
    /// compared, since closures cannot be, and loggers compare by label.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.pingInterval == rhs.pingInterval && lhs.pingTimeout == rhs.pingTimeout
            && lhs.connectionTimeout == rhs.connectionTimeout && lhs.closeTimeout == rhs.closeTimeout
            && lhs.autoReconnect == rhs.autoReconnect && lhs.reconnectStrategy == rhs.reconnectStrategy
            && lhs.reconnectDelay == rhs.reconnectDelay && lhs.maxReconnectDelay == rhs.maxReconnectDelay
            && lhs.maxReconnectAttempts == rhs.maxReconnectAttempts && lhs.queueSize == rhs.queueSize
            && lhs.queueOverflowPolicy == rhs.queueOverflowPolicy && lhs.maxMessageSize == rhs.maxMessageSize
            && lhs.disconnectCheckInterval == rhs.disconnectCheckInterval
            && lhs.reconnectCheckInterval == rhs.reconnectCheckInterval
            && lhs.disconnectMargin == rhs.disconnectMargin && lhs.maxConnectionAge == rhs.maxConnectionAge
            && lhs.gaplessRotation == rhs.gaplessRotation && lhs.additionalHeaders == rhs.additionalHeaders
            && lhs.unrepresentableHeaders == rhs.unrepresentableHeaders && lhs.subprotocols == rhs.subprotocols
            && lhs.origin == rhs.origin && lhs.compression == rhs.compression && lhs.tls == rhs.tls
            && lhs.proxy == rhs.proxy && lhs.rotationOverlapTimeout == rhs.rotationOverlapTimeout
            && lhs.metrics == rhs.metrics && lhs.guardsPongs == rhs.guardsPongs && lhs.sendBuffer == rhs.sendBuffer
            && lhs.sendTimeout == rhs.sendTimeout && lhs.outgoingRate == rhs.outgoingRate
            && lhs.logger?.label == rhs.logger?.label && lhs.rejectedUpgradeReplay == rhs.rejectedUpgradeReplay
    }

    /// The stored properties `==` compares, and those it leaves out: a test checks that every
    /// stored property is in one list, so a new option cannot be forgotten here.
    static let comparedProperties: Set<String> = [
        "pingInterval", "pingTimeout", "connectionTimeout", "closeTimeout", "autoReconnect", "reconnectStrategy",
        "reconnectDelay", "maxReconnectDelay", "maxReconnectAttempts", "queueSize", "queueOverflowPolicy",
        "maxMessageSize", "disconnectCheckInterval", "reconnectCheckInterval", "disconnectMargin",
        "maxConnectionAge", "gaplessRotation", "additionalHeaders", "unrepresentableHeaders", "subprotocols",
        "origin", "compression", "tls", "proxy", "rotationOverlapTimeout", "metrics", "guardsPongs", "sendBuffer",
        "sendTimeout", "outgoingRate", "logger", "rejectedUpgradeReplay",
    ]
    static let callbackProperties: Set<String> = [
        "subscriptionFormat", "shouldDisconnect", "shouldReconnect", "onConnect", "onDisconnect", "onMessage",
        "onAlert", "messageKey", "retryPolicy", "shardHooks",
    ]
}
