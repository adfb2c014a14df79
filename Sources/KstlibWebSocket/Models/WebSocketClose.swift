// How a connection ended, as close code and reason.

/// The close code and reason of a finished connection (``WebSocketManager/lastClose``).
public struct WebSocketClose: Sendable, Equatable, CustomStringConvertible {
    /// The code the server sent, the code we sent, or 1006 when no close frame was exchanged.
    public let code: WebSocketCloseCode
    /// The close reason; empty when none was given.
    public let reason: String
    /// Whether the server started the close.
    public let byServer: Bool

    /// Creates a close record; the manager makes these, tests may too.
    public init(code: WebSocketCloseCode, reason: String, byServer: Bool) {
        self.code = code
        self.reason = reason
        self.byServer = byServer
    }

    init(_ end: TransportEnd) {
        switch end {
        case .peerClosed(let code, let reason): self.init(code: code, reason: reason, byServer: true)
        case .locallyClosed(let code, let reason): self.init(code: code, reason: reason, byServer: false)
        case .protocolViolation(let error):
            self.init(code: error.closeCode, reason: error.protocolError, byServer: false)
        default: self.init(code: .abnormalClosure, reason: "", byServer: false)
        }
    }

    /// The code, then the reason when there is one: `1000`, `4001 maintenance`.
    public var description: String { reason.isEmpty ? "\(code.rawValue)" : "\(code.rawValue) \(reason)" }
}
