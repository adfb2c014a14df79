// Raised when an operation exceeds its configured time.

/// An operation (`"connect"`, `"ping"`, `"receive"`, `"close"`) did not finish in time.
///
/// `"connect"`: ``WebSocketManager/connect()`` when its last attempt ran out of
/// ``WebSocketConfiguration/connectionTimeout``. `"receive"`:
/// ``WebSocketManager/receive(timeout:)``; the connection is unaffected. `"ping"`: no pong within
/// ``WebSocketConfiguration/pingTimeout``, ending ``WebSocketManager/stream()`` when no reconnect
/// follows.
public struct WebSocketTimeoutError: WebSocketError, Equatable {
    /// What happened, in words (`"nothing received within 1.0 seconds"`).
    public let message: String
    /// The operation that timed out: `"connect"`, `"ping"`, `"receive"` or `"close"`.
    public let operation: String
    /// The limit that was exceeded.
    public let timeout: Duration

    /// Creates the error for `operation` and the limit it exceeded.
    public init(_ message: String = "operation timed out", operation: String, timeout: Duration) {
        self.message = message
        self.operation = operation
        self.timeout = timeout
    }

    /// `WebSocketTimeoutError: message (operation=…, timeout=…)`.
    public var description: String { describe(["operation": operation, "timeout": "\(timeout)"]) }
}
