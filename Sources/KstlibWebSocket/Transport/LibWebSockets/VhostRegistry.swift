// Client vhosts, created on first use and kept for the life of the context.
internal import CLibWebSockets
internal import CLWSShim
import Foundation
import KstlibLibWebSockets

/// Creates and remembers one libwebsockets vhost per distinct ``VhostSettings``.
///
/// libwebsockets keeps CA settings, client certificates and the proxy per vhost, so connections with their own trust store or proxy get their own vhost. Used only
/// on the service thread.
final class VhostRegistry {
    private var vhosts: [VhostSettings: OpaquePointer] = [:]
    private let tables: ContextTables
    /// The vhosts' names. libwebsockets keeps the `vhost_name` pointer instead of copying it
    /// (and prints it on every connect), so a name must live as long as its vhost: freed with
    /// the registry, which its event loop keeps until after the context is destroyed.
    private let names = CStringArena()

    init(tables: ContextTables) { self.tables = tables }

    deinit { names.free() }

    /// The vhost for `settings`, creating it if needed.
    func vhost(for settings: VhostSettings, context: OpaquePointer) -> Result<OpaquePointer, WebSocketHandshakeFailure>
    {
        if let existing = vhosts[settings] { return .success(existing) }
        let created = create(settings, context: context, name: "kstlib-\(vhosts.count)")
        if case .success(let vhost) = created { vhosts[settings] = vhost }
        return created
    }

    private func create(_ settings: VhostSettings, context: OpaquePointer, name: String) -> Result<
        OpaquePointer, WebSocketHandshakeFailure
    > {
        let strings = CStringArena()
        defer { strings.free() }
        var info = lws_context_creation_info()
        info.port = CONTEXT_PORT_NO_LISTEN
        info.protocols = UnsafePointer(tables.protocols)
        info.extensions = UnsafePointer(tables.extensions)
        info.vhost_name = names.copy(name)
        var options = UInt64(LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT)
        if settings.excludeSystemTrustStore { options |= UInt64(LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS) }
        info.options = options

        // CA certificates go through one PEM file, which libwebsockets adds to the system store
        // (its in-memory variant would replace the store and keep only the first certificate).
        var caFile: URL?
        defer { if let caFile { try? FileManager.default.removeItem(at: caFile) } }
        if !settings.trustRoots.isEmpty {
            switch Self.bundle(settings.trustRoots) {
            case .failure(let failure): return .failure(failure)
            case .success(let pem):
                guard let file = Self.privateTemporaryFile(contents: pem) else {
                    return .failure(
                        WebSocketHandshakeFailure(kind: .tls, reason: "cannot write the CA bundle to a temporary file"))
                }
                caFile = file
                info.client_ssl_ca_filepath = strings.copy(file.path)
            }
        }
        if let identity = settings.clientIdentity {
            if case .pem = identity.privateKey, lwss_set_client_key_mem(nil, nil, 0) != 0 {
                return .failure(
                    WebSocketHandshakeFailure(
                        kind: .tls,
                        reason: "a client key given as PEM text needs libwebsockets 4.1 or later: use a key file"))
            }
            if case .file(let path) = identity.certificate { info.client_ssl_cert_filepath = strings.copy(path) }
            if case .file(let path) = identity.privateKey { info.client_ssl_private_key_filepath = strings.copy(path) }
        }
        if let proxy = settings.proxy {
            info.http_proxy_address = strings.copy(proxy.address)
            info.http_proxy_port = UInt32(proxy.port)
        }
        let vhost: OpaquePointer? = Self.withMemoryIdentity(settings.clientIdentity, &info) {
            lws_create_vhost(context, &$0)
        }
        guard let vhost else {
            return .failure(
                WebSocketHandshakeFailure(
                    kind: .tls,
                    reason:
                        "libwebsockets could not set up TLS for this configuration (unreadable CA bundle, certificate or key?)"
                ))
        }
        return .success(vhost)
    }

    /// Points `info` at in-memory certificate and key bytes for the duration of `body`.
    private static func withMemoryIdentity<R>(
        _ identity: TLSConfiguration.ClientIdentity?, _ info: inout lws_context_creation_info,
        _ body: (inout lws_context_creation_info) -> R
    ) -> R {
        let certificate: [UInt8] = {
            if case .pem(let text)? = identity?.certificate { return Array(text.utf8) }
            return []
        }()
        let key: [UInt8] = {
            if case .pem(let text)? = identity?.privateKey { return Array(text.utf8) }
            return []
        }()
        return certificate.withUnsafeBytes { certificateBytes in
            key.withUnsafeBytes { keyBytes in
                if !certificate.isEmpty {
                    info.client_ssl_cert_mem = certificateBytes.baseAddress
                    info.client_ssl_cert_mem_len = UInt32(certificate.count)
                }
                if !key.isEmpty {
                    _ = lwss_set_client_key_mem(&info, keyBytes.baseAddress, key.count)
                }
                return body(&info)
            }
        }
    }

    /// All trust roots as one PEM text.
    private static func bundle(_ sources: [TLSConfiguration.PEMSource]) -> Result<String, WebSocketHandshakeFailure> {
        var pem = ""
        for source in sources {
            switch source {
            case .pem(let text): pem += text + "\n"
            case .file(let path):
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    return .failure(WebSocketHandshakeFailure(kind: .tls, reason: "cannot read CA file '\(path)'"))
                }
                pem += text + "\n"
            }
        }
        guard pem.contains("-----BEGIN CERTIFICATE-----") else {
            return .failure(
                WebSocketHandshakeFailure(kind: .tls, reason: "the additional trust roots contain no PEM certificate"))
        }
        return .success(pem)
    }

    private static func privateTemporaryFile(contents: String) -> URL? {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kstlib-ca-\(UUID().uuidString).pem")
        guard
            FileManager.default.createFile(
                atPath: url.path, contents: Data(contents.utf8), attributes: [.posixPermissions: 0o600])
        else {
            return nil
        }
        return url
    }
}
