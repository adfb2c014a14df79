// Counters and times of a manager's life, readable at any moment.
public import Foundation

/// A snapshot of a manager's statistics (``WebSocketManager/stats``).
public struct WebSocketStats: Sendable, Equatable {
    /// Successful connects, including reconnects.
    public internal(set) var connects = 0
    /// Every disconnect, whatever its reason.
    public internal(set) var disconnects = 0
    /// Disconnects the application chose (see ``DisconnectReason/isProactive``).
    public internal(set) var proactiveDisconnects = 0
    /// Disconnects imposed on the application.
    public internal(set) var reactiveDisconnects = 0
    /// Successful reconnects after a disconnect.
    public internal(set) var reconnects = 0
    /// Gapless rotations (make-before-break), each also counted as a proactive disconnect and a
    /// connect.
    public internal(set) var rotations = 0
    /// Messages delivered to the application (after a rotation's de-duplication).
    public internal(set) var messagesReceived = 0
    /// Messages handed to the connection, subscription requests included.
    public internal(set) var messagesSent = 0
    /// Payload bytes of the received messages (no frame headers).
    public internal(set) var bytesReceived = 0
    /// Payload bytes of the sent messages (no frame headers).
    public internal(set) var bytesSent = 0
    /// Payload bytes accepted by `send` and not yet handed to the network: the level of the
    /// outgoing buffer (``WebSocketConfiguration/sendBuffer``) when the snapshot was taken.
    public internal(set) var bytesWaiting = 0
    /// How long the outgoing messages waited for ``WebSocketConfiguration/outgoingRate`` in
    /// total (time during which the queue was held back, not summed per waiting sender): a
    /// figure that keeps growing says the application talks faster than the limit allows.
    public internal(set) var outgoingRateWait: Duration = .zero
    /// Messages dropped by the incoming queue's overflow policy.
    public internal(set) var messagesDropped = 0
    /// When the last connect succeeded; `nil` before the first.
    public internal(set) var lastConnectTime: Date?
    /// When the last disconnect happened; `nil` before the first.
    public internal(set) var lastDisconnectTime: Date?
    /// When the last message arrived: a feed that went quiet shows here first.
    public internal(set) var lastMessageTime: Date?
    /// The last keepalive round trip, ping to pong.
    public internal(set) var lastRoundTripTime: Duration?
    /// When these statistics started (creation or the last ``WebSocketManager/resetStats()``).
    public internal(set) var startTime = Date()

    /// Where ``uptime`` and ``connectionTime`` read the time: the manager's clock, or the wall
    /// clock for statistics made by hand.
    var time: ManagerTime?

    /// Zero counters, starting now.
    public init() {}

    /// Zero counters, starting now on the manager's clock.
    init(time: ManagerTime) {
        self.time = time
        startTime = time.date
    }

    private var now: Date { time?.date ?? Date() }

    /// Time since the statistics started.
    public var uptime: Duration { .seconds(now.timeIntervalSince(startTime)) }

    /// Time since the last connect, zero if never connected.
    public var connectionTime: Duration { lastConnectTime.map { .seconds(now.timeIntervalSince($0)) } ?? .zero }
}
