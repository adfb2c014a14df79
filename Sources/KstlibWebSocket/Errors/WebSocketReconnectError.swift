// Raised when reconnection gave up.

/// Every reconnection attempt after a disconnect failed (``WebSocketConfiguration/maxReconnectAttempts``
/// in a row), or a reactive disconnect happened with reconnection impossible.
public struct WebSocketReconnectError: WebSocketError {
    public let message: String
    /// How many reconnection attempts were made.
    public let attempts: Int
    /// The error of the last attempt.
    public let lastError: (any Error)?

    public init(_ message: String = "reconnection failed", attempts: Int = 0, lastError: (any Error)? = nil) {
        self.message = message
        self.attempts = attempts
        self.lastError = lastError
    }

    public var description: String { describe(["attempts": "\(attempts)", "lastError": describeOptional(lastError)]) }
}
