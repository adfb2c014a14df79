// Raised when an operation exceeds its configured time.

/// An operation (``Operation/connect``, ``Operation/ping``, ``Operation/receive``,
/// ``Operation/send``, ``Operation/connectionWindow``) did not finish in time.
///
/// `connect`: ``WebSocketManager/connect()`` when its last attempt ran out of
/// ``WebSocketConfiguration/connectionTimeout``. `receive`:
/// ``WebSocketManager/receive(timeout:)``; the connection is unaffected. `ping`: no pong within
/// ``WebSocketConfiguration/pingTimeout``, ending ``WebSocketManager/stream()`` when no reconnect
/// follows. A close that runs out of ``WebSocketConfiguration/closeTimeout`` cuts the connection
/// instead of throwing.
public struct WebSocketTimeoutError: WebSocketError, Equatable {
    /// Which operation timed out.
    ///
    /// A struct over a private enum so that an operation can be added without breaking a
    /// `switch`; compare with `==` (`error.operation == .connect`). It prints as the seed's
    /// words: `"connect"`, `"ping"`, `"receive"`, `"send"`.
    public struct Operation: Hashable, Sendable, CustomStringConvertible {
        enum Name: String {
            case connect, ping, receive, send, connectionWindow
        }

        let name: Name

        /// Opening the connection: DNS, TCP, TLS and the upgrade.
        public static let connect = Operation(name: .connect)
        /// Waiting for the pong of a keepalive ping.
        public static let ping = Operation(name: .ping)
        /// Waiting in ``WebSocketManager/receive(timeout:)``.
        public static let receive = Operation(name: .receive)
        /// Waiting for room in the outgoing buffer (``WebSocketConfiguration/sendBuffer``) in
        /// ``WebSocketManager/send(_:)-(String)``, beyond ``WebSocketConfiguration/sendTimeout``.
        public static let send = Operation(name: .send)
        /// Waiting in ``WebSocketPool/subscribe(_:)-([String])`` for the pool's window of new
        /// connections (``PoolLimits/newConnections``) to allow the connection a new shard
        /// needs, beyond ``PoolLimits/connectionWindowTimeout``.
        public static let connectionWindow = Operation(name: .connectionWindow)

        /// The seed's word for the operation (`"connect"`).
        public var description: String { name.rawValue }
    }

    /// What happened, in words (`"nothing received within 1.0 seconds"`).
    public let message: String
    /// The operation that timed out.
    public let operation: Operation
    /// The limit that was exceeded.
    public let timeout: Duration

    /// Creates the error for `operation` and the limit it exceeded.
    public init(_ message: String = "operation timed out", operation: Operation, timeout: Duration) {
        self.message = message
        self.operation = operation
        self.timeout = timeout
    }

    /// `WebSocketTimeoutError: message (operation=…, timeout=…)`.
    public var description: String { describe(["operation": "\(operation)", "timeout": "\(timeout)"]) }
}
