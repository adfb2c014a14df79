// Raised when the connection ended with a close code the application should hear about.

/// The connection was closed: by the server with a close frame (its code and reason kept), or
/// dropped without one (code 1006, ``WebSocketCloseCode/abnormalClosure``).
///
/// Thrown by ``WebSocketManager/stream()`` and ``WebSocketManager/receive(timeout:)`` when the
/// connection ended without a reconnect to follow (``WebSocketConfiguration/autoReconnect`` off,
/// or the manager shut down) and the close was not a normal 1000/1001; `receive(timeout:)` also
/// throws it, with 1000, once the stream has ended normally.
public struct WebSocketClosedError: WebSocketError, Equatable {
    /// What happened, in words (`"the server closed the connection"`).
    public let message: String
    /// The close code (1000-4999), or 1006 when the TCP connection dropped without a close frame.
    public let code: WebSocketCloseCode
    /// The peer's close reason; empty when it gave none.
    public let reason: String

    /// Creates the error; the defaults are those of kstlib's `WebSocketClosedError` (1006, no reason).
    public init(
        _ message: String = "connection closed", code: WebSocketCloseCode = .abnormalClosure, reason: String = ""
    ) {
        self.message = message
        self.code = code
        self.reason = reason
    }

    /// `WebSocketClosedError: message (code=…, reason="…")`.
    public var description: String { describe(["code": "\(code.rawValue)", "reason": "\"\(reason)\""]) }
}
