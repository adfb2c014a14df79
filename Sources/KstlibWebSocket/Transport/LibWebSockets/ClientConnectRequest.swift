// The connect call: one client connection handed to libwebsockets.
internal import CLibWebSockets
import KstlibLibWebSockets

/// What libwebsockets needs to open one client connection, and the call that opens it
/// (`lws_client_connect_via_info`).
struct ClientConnectRequest {
    /// A numeric address: names are resolved before libwebsockets sees them.
    var address: String
    var port: Int
    var path: String
    /// The `Host` header, sent verbatim.
    var host: String
    var origin: String?
    /// The `Sec-WebSocket-Protocol` offer, or nil for none.
    var subprotocols: String?
    var secure: Bool
    var insecure: TLSConfiguration.InsecureOptions
    /// Whether permessage-deflate is offered: it picks the protocol entry, and so the read size.
    var compressionOffered: Bool

    /// Starts connecting `connection` (service thread); callbacks may run re-entrantly inside.
    /// Returns false when libwebsockets refused at once, after which no callback comes.
    ///
    /// The connection goes into the handle unretained: the loop's table must hold it from now
    /// until `WSI_DESTROY` (see ``eventLoopCallback(_:_:_:_:_:)``).
    func connect(_ connection: LWSConnection, loop: EventLoop, context: OpaquePointer, vhost: OpaquePointer) -> Bool {
        // libwebsockets copies the strings into its own storage during the call.
        let strings = CStringArena()
        defer { strings.free() }
        var info = lws_client_connect_info()
        info.context = context
        info.address = strings.copy(address)
        info.port = Int32(port)
        info.path = strings.copy(path)
        info.host = strings.copy(host)
        info.origin = origin.map(strings.copy)
        info.protocol = subprotocols.map(strings.copy)
        info.local_protocol_name = loop.protocolName(compressionOffered: compressionOffered)
        info.vhost = vhost
        info.ssl_connection = Self.connectionFlags(secure: secure, insecure: insecure)
        info.retry_and_idle_policy = loop.idlePolicy
        info.opaque_user_data = Unmanaged.passUnretained(connection).toOpaque()
        return lws_client_connect_via_info(&info) != nil
    }

    /// `LCCSCF_*` flags: TLS on for wss, redirects never followed silently, relaxations opt-in.
    static func connectionFlags(secure: Bool, insecure: TLSConfiguration.InsecureOptions) -> Int32 {
        var flags = Int32(LCCSCF_HTTP_NO_FOLLOW_REDIRECT.rawValue)
        guard secure else { return flags }
        flags |= Int32(LCCSCF_USE_SSL.rawValue)
        if insecure.contains(.allowSelfSigned) { flags |= Int32(LCCSCF_ALLOW_SELFSIGNED.rawValue) }
        if insecure.contains(.allowUnknownIssuer) { flags |= Int32(LCCSCF_ALLOW_INSECURE.rawValue) }
        if insecure.contains(.skipHostnameVerification) {
            flags |= Int32(LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK.rawValue)
        }
        if insecure.contains(.allowExpired) { flags |= Int32(LCCSCF_ALLOW_EXPIRED.rawValue) }
        return flags
    }
}
