// What the incoming queue does when the consumer falls behind.

/// What happens when the incoming queue holds ``WebSocketConfiguration/queueSize`` messages
/// and another arrives.
public enum QueueOverflowPolicy: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Stop reading the socket (libwebsockets' rx flow control) until the consumer catches up.
    /// Nothing is dropped; the server sees TCP backpressure. The default, because losing data is
    /// the one thing our users cannot afford.
    case backpressure
    /// Drop the arriving message, count it and raise an alert.
    case dropNewest
    /// Drop the oldest queued message to make room, count it and raise an alert.
    case dropOldest
    /// Make `stream()` and `receive()` throw ``WebSocketQueueFullError``.
    case fail

    /// The case name (`"dropOldest"`); the configuration file spells it `drop_oldest`.
    public var description: String { rawValue }
}
