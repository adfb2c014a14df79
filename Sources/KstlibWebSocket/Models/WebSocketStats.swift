// Counters and times of a manager's life, readable at any moment.
public import Foundation

/// A snapshot of a manager's statistics (``WebSocketManager/stats``).
public struct WebSocketStats: Sendable, Equatable {
    /// Successful connects, including reconnects.
    public var connects = 0
    /// Every disconnect, whatever its reason.
    public var disconnects = 0
    /// Disconnects the application chose (see ``DisconnectReason/isProactive``).
    public var proactiveDisconnects = 0
    /// Disconnects imposed on the application.
    public var reactiveDisconnects = 0
    /// Successful reconnects after a disconnect.
    public var reconnects = 0
    /// Gapless rotations (make-before-break), each also counted as a proactive disconnect and a
    /// connect.
    public var rotations = 0
    /// Messages delivered to the application (after a rotation's de-duplication).
    public var messagesReceived = 0
    /// Messages handed to the connection, subscription requests included.
    public var messagesSent = 0
    /// Payload bytes of the received messages (no frame headers).
    public var bytesReceived = 0
    /// Payload bytes of the sent messages (no frame headers).
    public var bytesSent = 0
    /// Messages dropped by the incoming queue's overflow policy.
    public var messagesDropped = 0
    /// When the last connect succeeded; `nil` before the first.
    public var lastConnectTime: Date?
    /// When the last disconnect happened; `nil` before the first.
    public var lastDisconnectTime: Date?
    /// When the last message arrived: a feed that went quiet shows here first.
    public var lastMessageTime: Date?
    /// The last keepalive round trip, ping to pong.
    public var lastRoundTripTime: Duration?
    /// When these statistics started (creation or the last ``reset()``).
    public var startTime = Date()

    /// Zero counters, starting now.
    public init() {}

    /// Time since the statistics started.
    public var uptime: TimeInterval { Date().timeIntervalSince(startTime) }

    /// Time since the last connect, 0 if never connected.
    public var connectionTime: TimeInterval { lastConnectTime.map { Date().timeIntervalSince($0) } ?? 0 }

    /// Starts counting again from zero.
    public mutating func reset() { self = WebSocketStats() }
}
