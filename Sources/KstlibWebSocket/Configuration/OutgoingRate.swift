// How fast a manager may talk to the server: the exchange-style cap on outgoing messages.

extension WebSocketConfiguration {
    /// At most ``messages`` outgoing messages in any window of length ``per``.
    ///
    /// Exchanges disconnect or ban a client that sends too fast (for example "5 messages per
    /// second"). The limit covers everything the manager sends: `send`, subscribe and unsubscribe
    /// requests, and the re-subscriptions after a reconnect or during a gapless rotation, so a
    /// reconnect restoring thousands of subscriptions is spread out instead of sent as one burst.
    ///
    /// It is a sliding window rather than a token bucket: a bucket of `messages` tokens refilled
    /// continuously lets almost twice `messages` through in one window (a full bucket, then the
    /// refill), which is exactly what an exchange counting per window punishes. Here no window of
    /// length ``per`` ever holds more than ``messages`` sends.
    ///
    /// The limit applies where a message enters the outgoing buffer; a congested network may
    /// still hand buffered messages to the server closer together than they were admitted.
    public struct OutgoingRate: Sendable, Equatable, CustomStringConvertible {
        /// How many messages one window may hold; at least 1.
        public var messages: Int
        /// The window's length; longer than zero.
        public var per: Duration

        /// A limit of `messages` per `per`. Values that would never let a message through count
        /// as the nearest that does (fewer than one message as one, a window of zero or less as
        /// one nanosecond), so a mistake cannot hang every send.
        public init(messages: Int, per: Duration) {
            self.messages = messages
            self.per = per
        }

        /// The limit as applied: `messages >= 1`, `per > 0`.
        var effective: (messages: Int, per: Duration) {
            (max(1, messages), max(per, .nanoseconds(1)))
        }

        /// `5 messages per 1.0 seconds`.
        public var description: String { "\(messages) messages per \(per)" }
    }
}
