// The shim's blocking OpenSSL client session, for the rejected-upgrade replay.
internal import CLWSShim
import KstlibLibWebSockets

/// A TLS session over a socket the caller connected and keeps, verified as libwebsockets
/// verifies a wss:// connection (the vhost's trust store and client identity, the connection's
/// relaxations). Every call blocks for at most its timeout.
final class ReplayTLSSession {
    /// The handshake's failure, in words (ours, then OpenSSL's).
    struct Failure: Error {
        let reason: String
    }

    private let session: OpaquePointer

    private init(session: OpaquePointer) { self.session = session }

    deinit { lwss_tls_free(session) }

    /// Runs the handshake on `fd` within `milliseconds`. `trustRoots` is PEM text, added to the
    /// system store unless `settings` excludes it.
    static func handshake(
        fd: Int32, serverName: String, trustRoots: String, settings: VhostSettings,
        insecure: TLSConfiguration.InsecureOptions, milliseconds: Int32
    ) -> Result<ReplayTLSSession, Failure> {
        let strings = CStringArena()
        defer { strings.free() }
        var c = lwss_tls_settings()
        c.server_name = strings.copy(serverName)
        c.use_system_store = settings.excludeSystemTrustStore ? 0 : 1
        if !trustRoots.isEmpty {
            c.ca_pem = strings.copy(trustRoots)
            c.ca_pem_len = trustRoots.utf8.count
        }
        if let identity = settings.clientIdentity {
            switch identity.certificate {
            case .file(let path): c.cert_file = strings.copy(path)
            case .pem(let text):
                c.cert_pem = strings.copy(text)
                c.cert_pem_len = text.utf8.count
            }
            switch identity.privateKey {
            case .file(let path): c.key_file = strings.copy(path)
            case .pem(let text):
                c.key_pem = strings.copy(text)
                c.key_pem_len = text.utf8.count
            }
        }
        c.allow_self_signed = insecure.contains(.allowSelfSigned) ? 1 : 0
        c.allow_unknown_issuer = insecure.contains(.allowUnknownIssuer) ? 1 : 0
        c.allow_expired = insecure.contains(.allowExpired) ? 1 : 0
        c.skip_name_check = insecure.contains(.skipHostnameVerification) ? 1 : 0
        var error = [CChar](repeating: 0, count: 512)
        guard let session = lwss_tls_connect(fd, &c, milliseconds, &error, error.count) else {
            return .failure(Failure(reason: String(cBuffer: error)))
        }
        return .success(ReplayTLSSession(session: session))
    }

    /// Sends every byte within `milliseconds`.
    func write(_ bytes: [UInt8], milliseconds: Int32) -> Bool {
        bytes.withUnsafeBytes { lwss_tls_write(session, $0.baseAddress, $0.count, milliseconds) } == 0
    }

    /// Reads what has come into `buffer`, waiting `milliseconds` at most.
    func read(into buffer: inout [UInt8], milliseconds: Int32) -> ReplayChannel.Read {
        let count = buffer.withUnsafeMutableBytes { lwss_tls_read(session, $0.baseAddress, $0.count, milliseconds) }
        switch count {
        case 0: return .endOfStream
        case -2: return .timedOut
        case ..<0: return .failed
        default: return .bytes(count)
        }
    }
}
