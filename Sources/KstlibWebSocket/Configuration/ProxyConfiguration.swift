// Whether and how connections go through an HTTP CONNECT proxy.

/// An HTTP proxy reached with `CONNECT`.
///
/// A struct over a private enum rather than a public enum, so a kind of proxy (SOCKS, say) can
/// be added without breaking a `switch` in application code; compare with `==`.
public struct ProxyConfiguration: Sendable, Hashable, CustomStringConvertible {
    enum Kind: Hashable {
        case none
        case http(host: String, port: Int)
        case environment
    }

    let kind: Kind

    /// No proxy (the default).
    public static let none = ProxyConfiguration(kind: .none)
    /// The conventional `https_proxy` (for wss://), `http_proxy` (for ws://) and `no_proxy`
    /// environment variables, upper or lower case; only when the application opts in.
    public static let environment = ProxyConfiguration(kind: .environment)
    /// This proxy, for every connection.
    public static func http(host: String, port: Int) -> ProxyConfiguration {
        ProxyConfiguration(kind: .http(host: host, port: port))
    }

    /// `none`, `environment` or `http(proxy.example:3128)`.
    public var description: String {
        switch kind {
        case .none: return "none"
        case .environment: return "environment"
        case .http(let host, let port): return "http(\(host):\(port))"
        }
    }
}
