// Raised when the incoming queue overflows under the `.fail` policy.

/// The incoming message queue was full and the overflow policy is ``QueueOverflowPolicy/fail``:
/// the consumer is too slow for the feed.
public struct WebSocketQueueFullError: WebSocketError, Equatable {
    public let message: String
    /// The queue's capacity that was exceeded.
    public let queueSize: Int
    /// How many messages were dropped because of the overflow.
    public let droppedCount: Int

    public init(_ message: String = "incoming queue full", queueSize: Int, droppedCount: Int) {
        self.message = message
        self.queueSize = queueSize
        self.droppedCount = droppedCount
    }

    public var description: String { describe(["queueSize": "\(queueSize)", "droppedCount": "\(droppedCount)"]) }
}
