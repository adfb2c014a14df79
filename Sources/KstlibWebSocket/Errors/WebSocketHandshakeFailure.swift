// The raw facts behind a failed connection attempt, kept for a 3 a.m. debugging session.
public import HTTPTypes

/// Why one connection attempt failed, as libwebsockets and the operating system reported it.
///
/// Found as ``WebSocketConnectionError/lastError``. It keeps the raw facts: the reason string
/// libwebsockets gave, the HTTP status, headers and body of a rejected upgrade, the resolver's
/// message.
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
        /// TCP (and TLS) were up and the upgrade request went out, then the server closed or reset
        /// the connection without answering: a server going down or overloaded, so transient.
        public static let closedDuringHandshake = Kind(name: "closedDuringHandshake")
        /// The loaded libwebsockets is not the one the package was compiled against (another
        /// major.minor: other struct layouts); nothing was attempted.
        public static let incompatibleLibrary = Kind(name: "incompatibleLibrary")
        /// The event loop could not take the connection (shut down, out of file descriptors).
        public static let unavailable = Kind(name: "unavailable")
        /// The kind's name, as printed in ``WebSocketHandshakeFailure/description``.
        public var description: String { name }
    }

    /// The kind of failure.
    public let kind: Kind
    /// A readable reason in the library's own words, the same whatever libwebsockets version
    /// or build is underneath, such as `connection refused (ECONNREFUSED) to 127.0.0.1:9`.
    public let reason: String
    /// The HTTP status of a rejected upgrade.
    public let httpStatus: Int?
    /// Response headers of a rejected upgrade (lower-case names; a repeated header's values
    /// joined with ", "): those libwebsockets kept, and, when the upgrade was replayed with the
    /// same status (see ``RejectedUpgradeReplay``), the others from the replay's answer.
    public let headers: [String: String]
    /// The body of a rejected upgrade, up to 64 KiB, read by replaying the upgrade (see
    /// ``RejectedUpgradeReplay``); `nil` when it was not replayed, the replay got no answer, or
    /// it got another status (``replayedStatus``). Empty when the answer had no body.
    public let responseBody: [UInt8]?
    /// Whether the body was longer than the 64 KiB kept in ``responseBody`` (or ended before its
    /// announced length).
    public let responseBodyTruncated: Bool
    /// The status the replay of a rejected upgrade got, `nil` without a replay or an answer to
    /// it. When it differs from ``httpStatus`` (the server changed its mind in between), the
    /// failure keeps the original status and headers, and has no ``responseBody``.
    public let replayedStatus: Int?
    /// The operating system's reason when the TCP connect itself failed.
    public let socketError: SocketErrorCode?
    /// What libwebsockets said, verbatim: for debugging only, since its wording changes between
    /// versions and builds (branch on ``kind``, ``httpStatus`` and ``socketError`` instead).
    public let detail: String?

    /// ``responseBody`` as text, invalid UTF-8 replaced with U+FFFD: `{"error": "banned"}`.
    public var responseText: String? { responseBody.map { String(decoding: $0, as: UTF8.self) } }

    /// The captured response headers of a rejected upgrade as `HTTPFields`, sorted by name:
    /// `failure.responseHeaders[.retryAfter]`.
    public var responseHeaders: HTTPFields {
        var fields = HTTPFields()
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        return fields
    }

    /// Creates a failure; the library makes these, tests and wrappers may too.
    public init(
        kind: Kind, reason: String, httpStatus: Int? = nil, headers: [String: String] = [:],
        socketError: SocketErrorCode? = nil, detail: String? = nil, responseBody: [UInt8]? = nil,
        responseBodyTruncated: Bool = false, replayedStatus: Int? = nil
    ) {
        self.kind = kind
        self.reason = reason
        self.httpStatus = httpStatus
        self.headers = headers
        self.socketError = socketError
        self.detail = detail
        self.responseBody = responseBody
        self.responseBodyTruncated = responseBodyTruncated
        self.replayedStatus = replayedStatus
    }

    /// `kind: reason (HTTP status) [libwebsockets: detail]`, for example
    /// `httpStatus: the server refused the upgrade with HTTP 403 (HTTP 403)`.
    public var description: String {
        var text = "\(kind): \(reason)"
        if let httpStatus { text += " (HTTP \(httpStatus))" }
        if let detail, !detail.isEmpty { text += " [libwebsockets: \(detail)]" }
        return text
    }
}
