// What the incoming queue does when the consumer falls behind.

/// What happens when the incoming queue holds ``WebSocketConfiguration/queueSize`` messages
/// and another arrives.
///
/// A struct over a private enum rather than a public enum, so a policy can be added without
/// breaking a `switch` in application code; compare with `==`.
public struct QueueOverflowPolicy: Sendable, Hashable, CaseIterable, RawRepresentable, CustomStringConvertible {
    enum Kind: String, CaseIterable {
        case backpressure, dropNewest, dropOldest, fail
    }

    let kind: Kind

    init(_ kind: Kind) { self.kind = kind }

    /// Stop reading the socket (libwebsockets' rx flow control) until the consumer catches up.
    /// Nothing is dropped; the server sees TCP backpressure. The default, because losing data is
    /// the one thing our users cannot afford.
    public static let backpressure = QueueOverflowPolicy(.backpressure)
    /// Drop the arriving message, count it and raise an alert.
    public static let dropNewest = QueueOverflowPolicy(.dropNewest)
    /// Drop the oldest queued message to make room, count it and raise an alert.
    public static let dropOldest = QueueOverflowPolicy(.dropOldest)
    /// Make `stream()` and `receive()` throw ``WebSocketQueueFullError``.
    public static let fail = QueueOverflowPolicy(.fail)

    /// Every policy, in the order above (the configuration file lists them this way).
    public static var allCases: [QueueOverflowPolicy] { Kind.allCases.map(QueueOverflowPolicy.init) }

    /// The policy named `rawValue` (`"dropOldest"`), `nil` for an unknown name.
    public init?(rawValue: String) {
        guard let kind = Kind(rawValue: rawValue) else { return nil }
        self.init(kind)
    }

    /// The policy's name (`"dropOldest"`); the configuration file spells it `drop_oldest`.
    public var rawValue: String { kind.rawValue }

    /// The policy's name (`"dropOldest"`).
    public var description: String { rawValue }
}
