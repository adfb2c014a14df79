// ServerContextResources: the C memory a libwebsockets server context points into, and the
// creation infos built from it.
//
// lws copies the protocol structs but keeps their name pointers, references the extension
// table without copying it, and keeps the vhost's `iface` pointer. All of them must outlive
// lws_context_destroy, so they live here and the service thread holds this object until then.
internal import CLibWebSockets
internal import CLWSShim
import KstlibLibWebSockets

/// Owns the protocol table, extension table and strings of one server context.
/// Created and freed on the service thread.
final class ServerContextResources {
    /// Largest chunk delivered to LWS_CALLBACK_RECEIVE, and lws's per-thread scratch buffer.
    static let rxBufferSize = 64 << 10

    /// Subprotocols the server accepts, all served the same way. A client that offers none
    /// gets the first; one that offers some gets the first of its list that is known here.
    /// lws 4.1 drops the connection without any HTTP response if it offers only unknown ones.
    static let protocolNames = ["kstlib-test", "chat", "superchat"]

    let host: String
    let port: Int
    private let tls: EmbeddedServerTLS?
    private let protocols: UnsafeMutablePointer<lws_protocols>
    private let extensions: UnsafeMutablePointer<lws_extension>
    /// The C strings the tables and infos point to, freed in deinit.
    private let strings = CStringArena()

    /// `host` is a numeric IPv4 or IPv6 address (or an interface name); `port` 0 picks a free one.
    /// `tls` nil serves plain ws://.
    init(host: String, port: Int, tls: EmbeddedServerTLS?) {
        self.host = host
        self.port = port
        self.tls = tls

        // Both tables end with a zeroed terminator entry.
        protocols = .allocate(capacity: Self.protocolNames.count + 1)
        protocols.initialize(repeating: lws_protocols(), count: Self.protocolNames.count + 1)
        extensions = .allocate(capacity: 2)
        extensions.initialize(repeating: lws_extension(), count: 2)

        for (index, name) in Self.protocolNames.enumerated() {
            protocols[index].name = strings.copy(name)
            protocols[index].callback = embeddedServerCallback
            protocols[index].per_session_data_size = 0
            protocols[index].rx_buffer_size = Self.rxBufferSize
        }

        // Offered to clients that ask for it; negotiation is per connection.
        guard EmbeddedWebSocketServer.offersCompression else { return }
        extensions[0].name = strings.copy("permessage-deflate")
        extensions[0].callback = lws_extension_callback_pm_deflate
        extensions[0].client_offer = strings.copy("permessage-deflate")
    }

    deinit {
        protocols.deinitialize(count: Self.protocolNames.count + 1)
        protocols.deallocate()
        extensions.deinitialize(count: 2)
        extensions.deallocate()
        strings.free()
    }

    /// LWS_SERVER_OPTION_REQUIRE_VALID_OPENSSL_CLIENT_CERT, `((1ll << 1) | (1ll << 12))` in
    /// lws-context-vhost.h: a macro with an expression Swift does not import.
    static let requireValidClientCertificate: Int64 = (1 << 1) | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT

    /// Whether `host` is an IPv6 literal; lws then needs its IPv6 support on.
    var isIPv6: Bool { host.contains(":") }

    /// The context: no listener of its own (the vhost has it), our fd sizing and buffers.
    /// `user` comes back from lws_context_user() in every callback.
    func contextInfo(user: UnsafeMutableRawPointer) -> lws_context_creation_info {
        var info = lws_context_creation_info()
        var options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS
        // OpenSSL is initialised only when asked; the vhost asks again for its own TLS context.
        if tls != nil { options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT }
        info.options = UInt64(options)
        info.user = user
        info.fd_limit_per_thread = FileDescriptorLimit.tableSize
        info.pt_serv_buf_size = UInt32(Self.rxBufferSize)
        return info
    }

    /// The listening vhost. With IPv6 compiled in, lws 4.1 binds an AF_INET6 socket and turns
    /// an IPv4 `iface` into the IPv6 *any* address, so IPv6 is disabled for IPv4 hosts.
    ///
    /// With TLS, a server certificate path is what makes lws 4.1 create the vhost's server
    /// SSL_CTX (lib/tls/tls-server.c); the listener then accepts TLS only. lws reads the files
    /// inside lws_create_vhost, so the path strings need not outlive it, but they live here anyway.
    private func vhostInfo() -> lws_context_creation_info {
        var info = lws_context_creation_info()
        var options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND
        if !isIPv6 {
            options |= LWS_SERVER_OPTION_DISABLE_IPV6
        }
        if let tls {
            options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT
            info.ssl_cert_filepath = strings.copy(tls.certificateChainPath)
            info.ssl_private_key_filepath = strings.copy(tls.privateKeyPath)
            if let clientCA = tls.clientCATrustPath {
                // SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT against this CA only. The
                // verdict still passes through LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION,
                // which must keep OpenSSL's answer (see embeddedServerCallback).
                options |= Self.requireValidClientCertificate
                info.ssl_ca_filepath = strings.copy(clientCA)
            }
        }
        info.options = UInt64(options)
        info.vhost_name = strings.copy("kstlib-embedded")
        info.iface = strings.copy(host)
        info.port = Int32(clamping: port)
        info.protocols = UnsafePointer(protocols)
        info.extensions = UnsafePointer(extensions)
        return info
    }

    /// Creates the listening vhost on `context` and returns the port it listens on, or nil when
    /// it cannot listen (a port in use; with TLS, also a certificate or key it cannot use).
    func listen(on context: OpaquePointer) -> Int? {
        var info = vhostInfo()
        guard let vhost = lws_create_vhost(context, &info) else { return nil }
        let port = Int(lws_get_vhost_listen_port(vhost))
        return port > 0 ? port : nil
    }

}
