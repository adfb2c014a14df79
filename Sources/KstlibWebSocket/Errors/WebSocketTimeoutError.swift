// Raised when an operation exceeds its configured time.

/// An operation (`"connect"`, `"ping"`, `"receive"`, `"close"`) did not finish in time.
public struct WebSocketTimeoutError: WebSocketError, Equatable {
    public let message: String
    /// The operation that timed out: `"connect"`, `"ping"`, `"receive"` or `"close"`.
    public let operation: String
    /// The limit that was exceeded.
    public let timeout: Duration

    public init(_ message: String = "operation timed out", operation: String, timeout: Duration) {
        self.message = message
        self.operation = operation
        self.timeout = timeout
    }

    public var description: String { describe(["operation": operation, "timeout": "\(timeout)"]) }
}
