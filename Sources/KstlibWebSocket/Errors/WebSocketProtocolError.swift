// Raised when the server violates RFC 6455.

/// The server broke the protocol (a malformed frame, invalid UTF-8 in a text message, a message
/// over ``WebSocketConfiguration/maxMessageSize``); the client failed the connection with
/// ``closeCode`` (1002, 1007 or 1009).
///
/// A protocol error is a reactive disconnect (``DisconnectReason/protocolError``): with
/// ``WebSocketConfiguration/autoReconnect`` on the manager reconnects, and the error reaches
/// ``WebSocketManager/stream()`` only when no reconnect follows.
public struct WebSocketProtocolError: WebSocketError, Equatable {
    /// What happened, in words (`"protocol violation"`); ``protocolError`` says what was wrong.
    public let message: String
    /// What was wrong, in words.
    public let protocolError: String
    /// The close code the client failed the connection with.
    public let closeCode: WebSocketCloseCode

    /// Creates the error; `closeCode` defaults to 1002, the code for a malformed frame.
    public init(
        _ message: String = "protocol violation", protocolError: String, closeCode: WebSocketCloseCode = .protocolError
    ) {
        self.message = message
        self.protocolError = protocolError
        self.closeCode = closeCode
    }

    /// `WebSocketProtocolError: message (protocolError="…", closeCode=…)`.
    public var description: String {
        describe(["protocolError": "\"\(protocolError)\"", "closeCode": "\(closeCode.rawValue)"])
    }
}
