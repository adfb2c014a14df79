// Raised when a connection cannot be established.

/// The connection could not be established: bad URL, DNS failure, refused port, TLS failure,
/// a handshake answered with something other than `101 Switching Protocols`, or every initial
/// attempt exhausted.
///
/// Thrown by ``WebSocketManager/connect()`` (and so by ``withWebSocket(url:configuration:isolation:_:)``)
/// after its last attempt, at once for what no retry can fix (a bad URL, an invalid header, a
/// closed manager), and by the `send` methods when no connection is open. The raw facts of the
/// last attempt are in ``lastError`` (a ``WebSocketHandshakeFailure``) and ``httpStatus``.
public struct WebSocketConnectionError: WebSocketError {
    /// What failed, in words (`"could not connect to ws://…"`).
    public let message: String
    /// The URL that failed to connect.
    public let url: String
    /// How many connection attempts were made.
    public let attempts: Int
    /// The underlying error of the last attempt (a ``WebSocketHandshakeFailure`` for the
    /// transport's own reasons), or `nil` when there was no attempt (for example a bad URL).
    public let lastError: (any Error)?

    /// Creates the error; the labels are kstlib's keyword arguments (`url`, `attempts`, `last_error`).
    public init(_ message: String, url: String = "", attempts: Int = 0, lastError: (any Error)? = nil) {
        self.message = message
        self.url = url
        self.attempts = attempts
        self.lastError = lastError
    }

    /// The HTTP status of a rejected handshake, when the last attempt got one.
    public var httpStatus: Int? { (lastError as? WebSocketHandshakeFailure)?.httpStatus }

    /// `WebSocketConnectionError: message (url=…, attempts=…, lastError=…)`.
    public var description: String {
        describe(["url": url, "attempts": "\(attempts)", "lastError": describeOptional(lastError)])
    }
}
