// What makes one client vhost different from another.

/// The settings libwebsockets keeps per vhost rather than per connection: the TLS trust store,
/// the client identity and the proxy. Connections that share them share a vhost.
struct VhostSettings: Hashable, Sendable {
    var trustRoots: [TLSConfiguration.PEMSource] = []
    var excludeSystemTrustStore = false
    var clientIdentity: TLSConfiguration.ClientIdentity?
    /// A numeric proxy address (resolved off the loop) and port.
    var proxy: ProxyEndpoint?

    struct ProxyEndpoint: Hashable, Sendable {
        var address: String
        var port: Int
    }

    static let standard = VhostSettings()

    init() {}

    init(tls: TLSConfiguration, proxy: ProxyEndpoint?) {
        trustRoots = tls.additionalTrustRoots
        excludeSystemTrustStore = tls.excludeSystemTrustStore
        clientIdentity = tls.clientIdentity
        self.proxy = proxy
    }
}
