// Statistics of a WebSocketPool: each shard's, and the pool's own.

/// A snapshot of a ``WebSocketPool``'s statistics (``WebSocketPool/stats``).
public struct WebSocketPoolStats: Sendable {
    /// One shard's share.
    public struct Shard: Sendable {
        /// The shard's id, as in ``WebSocketPoolMessage/shard``.
        public let id: Int
        /// How many topics it carries.
        public let topics: Int
        /// Where its connection is.
        public let state: ConnectionState
        /// Its manager's statistics.
        public let stats: WebSocketStats
    }

    /// Every shard, by id.
    public let shards: [Shard]
    /// Connections the pool's window let open (connects, reconnects, rotations).
    public let connectionsOpened: Int
    /// How long connection attempts waited for the window and its spacing, in total.
    public let connectionWindowWait: Duration
    /// How long proactive disconnects waited for another shard to be up, in total.
    public let staggerWait: Duration

    /// Topics subscribed over all shards.
    public var topics: Int { shards.reduce(0) { $0 + $1.topics } }
    /// Shards connected now.
    public var connectedShards: Int { shards.filter { $0.state == .connected }.count }
    /// Messages delivered by all shards.
    public var messagesReceived: Int { shards.reduce(0) { $0 + $1.stats.messagesReceived } }
    /// Messages sent by all shards, subscription requests included.
    public var messagesSent: Int { shards.reduce(0) { $0 + $1.stats.messagesSent } }
    /// Reconnects of all shards.
    public var reconnects: Int { shards.reduce(0) { $0 + $1.stats.reconnects } }
    /// Time all shards waited for their outgoing rate.
    public var outgoingRateWait: Duration { shards.reduce(.zero) { $0 + $1.stats.outgoingRateWait } }
}
