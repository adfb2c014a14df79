// Raised when the connection ended with a close code the application should hear about.

/// The connection was closed: by the server with a close frame (its code and reason kept), or
/// dropped without one (code 1006, ``WebSocketCloseCode/abnormalClosure``).
public struct WebSocketClosedError: WebSocketError, Equatable {
    public let message: String
    /// The close code (1000-4999), or 1006 when the TCP connection dropped without a close frame.
    public let code: WebSocketCloseCode
    /// The peer's close reason; empty when it gave none.
    public let reason: String

    public init(
        _ message: String = "connection closed", code: WebSocketCloseCode = .abnormalClosure, reason: String = ""
    ) {
        self.message = message
        self.code = code
        self.reason = reason
    }

    public var description: String { describe(["code": "\(code.rawValue)", "reason": "\"\(reason)\""]) }
}
