// Raised when reconnection gave up.

/// Every reconnection attempt after a disconnect failed (``WebSocketConfiguration/maxReconnectAttempts``
/// in a row), or a reactive disconnect happened with reconnection impossible.
///
/// Ends ``WebSocketManager/stream()`` and ``WebSocketManager/receive(timeout:)``: reconnecting
/// happens in the background, so this is where its failure surfaces. The manager is then
/// ``ConnectionState/disconnected``; ``WebSocketManager/connect()`` may start it again.
public struct WebSocketReconnectError: WebSocketError {
    /// What failed, in words (`"could not reconnect to ws://… after 10 attempts"`).
    public let message: String
    /// How many reconnection attempts were made.
    public let attempts: Int
    /// The error of the last attempt.
    public let lastError: (any Error)?

    /// Creates the error; the labels are kstlib's keyword arguments (`attempts`, `last_error`).
    public init(_ message: String = "reconnection failed", attempts: Int = 0, lastError: (any Error)? = nil) {
        self.message = message
        self.attempts = attempts
        self.lastError = lastError
    }

    /// `WebSocketReconnectError: message (attempts=…, lastError=…)`.
    public var description: String { describe(["attempts": "\(attempts)", "lastError": describeOptional(lastError)]) }
}
