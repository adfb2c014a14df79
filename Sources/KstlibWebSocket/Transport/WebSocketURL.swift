// A ws:// or wss:// URL, checked before any byte is sent.
import Foundation

/// The parts of a `ws://` / `wss://` URL that the handshake needs.
///
/// Parsed with `URLComponents` rather than libwebsockets' URI parser, which writes into its
/// input, keeps no error and silently turns a bad port into 0.
struct WebSocketURL: Sendable, Equatable {
    let secure: Bool
    /// The host without IPv6 brackets.
    let host: String
    let port: Int
    /// The path with its query string, always starting with `/`.
    let pathAndQuery: String

    /// The `Host` header value: libwebsockets sends its `host` verbatim, without the port.
    var hostHeader: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        let defaultPort = secure ? 443 : 80
        return port == defaultPort ? bracketed : "\(bracketed):\(port)"
    }

    /// Parses `text`, or explains in words what is wrong with it.
    static func parse(_ text: String) -> Result<WebSocketURL, WebSocketHandshakeFailure> {
        func invalid(_ why: String) -> Result<WebSocketURL, WebSocketHandshakeFailure> {
            .failure(WebSocketHandshakeFailure(kind: .invalidURL, reason: why))
        }
        if text.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F }) {
            return invalid("the URL contains spaces or control characters")
        }
        guard let parts = URLComponents(string: text) else { return invalid("not a valid URL") }
        guard let scheme = parts.scheme?.lowercased() else {
            return invalid("missing scheme (expected ws:// or wss://)")
        }
        guard scheme == "ws" || scheme == "wss" else {
            return invalid("unsupported scheme '\(scheme)' (expected ws:// or wss://)")
        }
        guard var host = parts.percentEncodedHost, !host.isEmpty else { return invalid("missing host") }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return invalid("missing host") } // `ws://[]/`: brackets around nothing
        if parts.user != nil || parts.password != nil { return invalid("user information in the URL is not supported") }
        let secure = scheme == "wss"
        var port = secure ? 443 : 80
        if let explicit = parts.port {
            guard (1...65535).contains(explicit) else { return invalid("port \(explicit) is out of range 1-65535") }
            port = explicit
        } else if Self.hasEmptyOrBadPort(text) {
            return invalid("the port is not a number in 1-65535")
        }
        if parts.fragment != nil { return invalid("a WebSocket URL cannot have a #fragment") }
        var path = parts.percentEncodedPath
        if path.isEmpty { path = "/" }
        if let query = parts.percentEncodedQuery { path += "?" + query }
        return .success(WebSocketURL(secure: secure, host: host, port: port, pathAndQuery: path))
    }

    /// `URLComponents` accepts `ws://host:/x` (and some builds `ws://host:abc/`) with no port.
    private static func hasEmptyOrBadPort(_ text: String) -> Bool {
        guard let schemeEnd = text.range(of: "://") else { return false }
        let rest = text[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostPart = authority.split(separator: "@").last ?? authority[...]
        let afterHost: Substring
        if hostPart.hasPrefix("["), let close = hostPart.firstIndex(of: "]") {
            afterHost = hostPart[hostPart.index(after: close)...]
        } else if let colon = hostPart.firstIndex(of: ":") {
            afterHost = hostPart[colon...]
        } else {
            return false
        }
        return afterHost.hasPrefix(":")
    }
}
