// One message of a WebSocketPool's merged stream, with the shard it came from.

/// A message received by one of a ``WebSocketPool``'s shards.
public struct WebSocketPoolMessage: Sendable, Hashable {
    /// The shard (connection) it came from: 0, 1, 2... in the order the shards were opened.
    public let shard: Int
    /// The message itself.
    public let message: WebSocketMessage

    /// A message of `shard`.
    public init(shard: Int, message: WebSocketMessage) {
        self.shard = shard
        self.message = message
    }
}
