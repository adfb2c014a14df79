// LimitViolation: one client caught breaking an ExchangeLimits limit.

/// A limit a client broke, and how the server answered.
public struct LimitViolation: Sendable, Equatable, CustomStringConvertible {
    /// Which limit.
    public enum Limit: String, Sendable, Equatable {
        /// ``ExchangeLimits/maxStreamsPerConnection``.
        case streamsPerConnection
        /// ``ExchangeLimits/maxIncomingMessagesPerSecond``.
        case messagesPerSecond
        /// ``ExchangeLimits/maxTopicsPerMessage``.
        case topicsPerMessage
        /// ``ExchangeLimits/maxNewConnectionsPerWindow``.
        case newConnections
    }

    /// The policy-violation close code every violation is answered with.
    public static let closeCode: UInt16 = 1008

    /// Which limit was broken.
    public let limit: Limit
    /// The client's address.
    public let address: String
    /// The reason of the close frame the client got (`"too many requests: over 5 per second"`).
    public let reason: String

    /// `messagesPerSecond from 127.0.0.1: too many requests: over 5 per second`.
    public var description: String { "\(limit.rawValue) from \(address): \(reason)" }
}
