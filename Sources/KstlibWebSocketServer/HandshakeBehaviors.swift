// CloseBehavior and DropBehavior: /close and /drop, which end the connection right after the handshake.

/// `/close?code=C&reason=R`: sends a close frame as soon as the connection is writeable.
final class CloseBehavior: ConnectionBehavior {
    private let code: UInt16
    private let reason: String

    init(code: UInt16, reason: String) {
        self.code = code
        self.reason = reason
    }

    func didOpen(_ connection: ServerConnection) {
        connection.close(code: code, reason: reason, afterQueued: false)
    }
}

/// `/drop`: closes the TCP connection without a close frame (the client sees 1006).
final class DropBehavior: ConnectionBehavior {
    func didOpen(_ connection: ServerConnection) {
        connection.drop()
    }
}
