// The raw facts behind a failed connection attempt, kept for a 3 a.m. debugging session.

/// Why one connection attempt failed, as libwebsockets and the operating system reported it.
///
/// Found as ``WebSocketConnectionError/lastError``. It keeps the raw facts: the reason string
/// libwebsockets gave, the HTTP status and headers of a rejected upgrade, the resolver's message.
public struct WebSocketHandshakeFailure: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this was.
    ///
    /// A struct with static members rather than an enum, so new kinds can be added without
    /// breaking a `switch` in application code; compare with `==` (`failure.kind == .tls`).
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// The URL is not a valid `ws://` or `wss://` URL.
        public static let invalidURL = Kind(name: "invalidURL")
        /// The request itself is invalid (a header with CR/LF/NUL, a reserved header, a bad
        /// subprotocol token); nothing was sent.
        public static let invalidRequest = Kind(name: "invalidRequest")
        /// The HTTP proxy could not be reached, refused the `CONNECT` (its status and headers
        /// are in ``WebSocketHandshakeFailure/httpStatus`` and ``WebSocketHandshakeFailure/headers``),
        /// or the tunnel failed before the upgrade. What the target answers through a working
        /// tunnel keeps its own kind (``httpStatus``, ``tls``).
        ///
        /// libwebsockets 4.1 drops a proxy's refusal, so the manager learns the status by asking
        /// the proxy once more, right after the failed attempt.
        public static let proxy = Kind(name: "proxy")
        /// The host name does not resolve: it does not exist, or has no usable address.
        public static let dnsFailure = Kind(name: "dnsFailure")
        /// The resolver could not answer for now (`EAI_AGAIN`: no reply from the name server,
        /// or a temporary failure it reported); the same name may resolve on a later attempt.
        public static let dnsTemporaryFailure = Kind(name: "dnsTemporaryFailure")
        /// The TCP connection was refused or could not be made.
        public static let connectFailed = Kind(name: "connectFailed")
        /// The server answered the upgrade with a status other than 101.
        public static let httpStatus = Kind(name: "httpStatus")
        /// The TLS handshake or the certificate check failed.
        public static let tls = Kind(name: "tls")
        /// The server's handshake answer was malformed (accept hash, extensions, subprotocol).
        public static let badHandshake = Kind(name: "badHandshake")
        /// The event loop could not take the connection (shut down, out of file descriptors).
        public static let unavailable = Kind(name: "unavailable")
        /// The kind's name, as printed in ``WebSocketHandshakeFailure/description``.
        public var description: String { name }
    }

    /// The kind of failure.
    public let kind: Kind
    /// A readable reason, usually libwebsockets' own words.
    public let reason: String
    /// The HTTP status of a rejected upgrade.
    public let httpStatus: Int?
    /// Response headers of a rejected upgrade that were captured (lower-case names).
    public let headers: [String: String]

    /// Creates a failure; the library makes these, tests and wrappers may too.
    public init(kind: Kind, reason: String, httpStatus: Int? = nil, headers: [String: String] = [:]) {
        self.kind = kind
        self.reason = reason
        self.httpStatus = httpStatus
        self.headers = headers
    }

    /// `kind: reason (HTTP status)`, for example `httpStatus: rejected (HTTP 403)`.
    public var description: String {
        var text = "\(kind): \(reason)"
        if let httpStatus { text += " (HTTP \(httpStatus))" }
        return text
    }
}
