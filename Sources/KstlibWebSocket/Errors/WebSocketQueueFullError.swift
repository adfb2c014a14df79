// Raised when the incoming queue overflows under the `.fail` policy.

/// The incoming message queue was full and the overflow policy is ``QueueOverflowPolicy/fail``:
/// the consumer is too slow for the feed.
///
/// Thrown once per overflow by the next ``WebSocketManager/receive(timeout:)`` or iteration of
/// ``WebSocketManager/stream()``; the connection stays open and the messages still queued are
/// delivered by the next call. Under the default ``QueueOverflowPolicy/backpressure`` it is never
/// thrown.
public struct WebSocketQueueFullError: WebSocketError, Equatable {
    /// What happened, in words (`"incoming queue full"`).
    public let message: String
    /// The queue's capacity that was exceeded.
    public let queueSize: Int
    /// How many messages were dropped because of the overflow.
    public let droppedCount: Int

    /// Creates the error with the queue's capacity and the drops so far.
    public init(_ message: String = "incoming queue full", queueSize: Int, droppedCount: Int) {
        self.message = message
        self.queueSize = queueSize
        self.droppedCount = droppedCount
    }

    /// `WebSocketQueueFullError: message (queueSize=…, droppedCount=…)`.
    public var description: String { describe(["queueSize": "\(queueSize)", "droppedCount": "\(droppedCount)"]) }
}
