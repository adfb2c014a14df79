// A noteworthy event the application may want to act on, as a typed value.

/// Something noteworthy that is not an error: a dropped message, a rotation that fell back.
///
/// Passed to ``WebSocketConfiguration/onAlert``. Branch on ``kind``; ``channel`` and
/// ``context`` keep kstlib's `on_alert(channel, message, context)` words for logs and dashboards
/// that already use them.
public struct WebSocketAlert: Sendable, CustomStringConvertible {
    /// What happened.
    ///
    /// A struct with static members rather than an enum, so kinds can be added without breaking
    /// a `switch` in application code; compare with `==` (`alert.kind == .messageDropped`).
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// kstlib's channel of the kind.
        let channel: String
        /// The incoming queue was full and its ``QueueOverflowPolicy`` dropped a message;
        /// ``WebSocketAlert/droppedCount`` says how many so far.
        public static let messageDropped = Kind(name: "messageDropped", channel: "queue")
        /// A gapless rotation could not open its new connection and fell back to a plain
        /// reconnect; ``WebSocketAlert/underlyingError`` says why.
        public static let rotationFallback = Kind(name: "rotationFallback", channel: "rotation")
        /// The two connections of a gapless rotation shared no message within
        /// ``WebSocketConfiguration/rotationOverlapTimeout``: the switch was forced, and messages
        /// may have been missed or repeated.
        public static let rotationForcedSwitch = Kind(name: "rotationForcedSwitch", channel: "rotation")
        /// The kind's name (`"messageDropped"`).
        public var description: String { name }
    }

    /// What happened.
    public let kind: Kind
    /// What happened, in words.
    public let message: String
    /// The URL of the manager that raised it.
    public let url: String
    /// Messages dropped so far, for ``Kind/messageDropped``.
    public let droppedCount: Int?
    /// The error behind the alert, for ``Kind/rotationFallback``.
    public let underlyingError: (any Error)?

    /// Creates an alert; the library makes these, tests and wrappers may too.
    public init(
        kind: Kind, message: String, url: String, droppedCount: Int? = nil, underlyingError: (any Error)? = nil
    ) {
        self.kind = kind
        self.message = message
        self.url = url
        self.droppedCount = droppedCount
        self.underlyingError = underlyingError
    }

    /// kstlib's channel: `"queue"` or `"rotation"`.
    public var channel: String { kind.channel }

    /// kstlib's context dictionary: `url`, and `dropped` or `error` when known.
    public var context: [String: String] {
        var context = ["url": url]
        if let droppedCount { context["dropped"] = "\(droppedCount)" }
        if let underlyingError { context["error"] = "\(underlyingError)" }
        return context
    }

    /// `messageDropped: incoming queue full: message dropped (dropped=3)`.
    public var description: String {
        var text = "\(kind): \(message)"
        if let droppedCount { text += " (dropped=\(droppedCount))" }
        if let underlyingError { text += " (error=\(underlyingError))" }
        return text
    }
}
