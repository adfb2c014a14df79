// An exchange's limits, as a WebSocketPool keeps under them.

/// What an exchange allows one client, which a ``WebSocketPool`` never exceeds.
///
/// The defaults keep under a large exchange's published limits (1,024 streams per connection, 5
/// messages per second per connection, 300 new connections per 5 minutes) with a margin on the
/// two that are timed: 4 messages per second and 250 connections per 5 minutes. The pool paces
/// a message where it enters a connection's buffer and counts a connection when its attempt
/// starts; the network may still bring two of them to the exchange closer together than they
/// left. Keep such a margin when you set your exchange's limits.
public struct PoolLimits: Sendable, Equatable {
    /// The most topics (streams) one connection carries; a new connection (shard) is opened
    /// only when every shard carries this many. At least 1.
    public var maxStreamsPerConnection: Int = 1024
    /// The outgoing pacing of each connection: subscribe and unsubscribe requests, the
    /// re-subscriptions after a reconnect, and whatever else a shard sends. Replaces the
    /// configuration's ``WebSocketConfiguration/outgoingRate`` on every shard; `nil` keeps it.
    public var outgoingRate: WebSocketConfiguration.OutgoingRate? = .init(messages: 4, per: .seconds(1))
    /// At most this many new connections in any window, counted over the whole pool: every
    /// connection attempt counts (first connects, reconnects, a gapless rotation's new
    /// connection).
    public var newConnections: ConnectionWindow = .init(connections: 250, per: .seconds(300))
    /// The least time between two connection attempts of the pool, so that a reconnect storm
    /// (every shard dropped at once) reaches the exchange one connection at a time.
    public var connectionSpacing: Duration = .milliseconds(100)
    /// How long ``WebSocketPool/subscribe(_:)-([String])`` waits for the connection window to
    /// allow a new shard before it throws ``WebSocketTimeoutError`` with operation
    /// ``WebSocketTimeoutError/Operation/connectionWindow``. Reconnects are never failed by the
    /// window: they wait for it.
    public var connectionWindowTimeout: Duration = .seconds(30)
    /// At most this many topics per subscribe or unsubscribe message. Replaces the format's
    /// ``SubscriptionFormat/maxTopicsPerMessage`` on every shard; `nil` keeps it.
    public var maxTopicsPerMessage: Int? = nil

    /// Under a large exchange's limits, with a margin (see above).
    public init() {}

    /// A window of new connections: at most ``connections`` in any ``per``.
    public struct ConnectionWindow: Sendable, Equatable, CustomStringConvertible {
        /// How many connections one window may hold; at least 1.
        public var connections: Int
        /// The window's length.
        public var per: Duration

        /// At most `connections` new connections in any `per`.
        public init(connections: Int, per: Duration) {
            self.connections = connections
            self.per = per
        }

        /// `250 connections per 300.0 seconds`.
        public var description: String { "\(connections) connections per \(per)" }
    }
}
