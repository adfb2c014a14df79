// EmbeddedServerTLS: the certificates that turn an embedded server into a wss:// server.
import Foundation

/// TLS settings of an ``EmbeddedWebSocketServer``: its certificate chain and key, and
/// optionally the CA whose certificates clients must present (mutual TLS).
///
/// All three are PEM files. libwebsockets reads them when the server starts, so a missing or
/// unreadable file makes `EmbeddedWebSocketServer.init` throw.
public struct EmbeddedServerTLS: Sendable, Hashable {
    /// The server certificate, optionally followed by its intermediates (PEM).
    public var certificateChainPath: String
    /// The private key of the server certificate (PEM, unencrypted).
    public var privateKeyPath: String
    /// When set, the server requires a client certificate and refuses the TLS handshake unless
    /// that certificate verifies against this CA (PEM, bundles allowed).
    public var clientCATrustPath: String?

    public init(certificateChainPath: String, privateKeyPath: String, clientCATrustPath: String? = nil) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
        self.clientCATrustPath = clientCATrustPath
    }

    /// Throws when a file cannot be read, so the caller gets its name rather than
    /// libwebsockets' generic vhost failure.
    func checkReadable() throws(EmbeddedServerError) {
        let files =
            [("certificate chain", certificateChainPath), ("private key", privateKeyPath)]
            + (clientCATrustPath.map { [("client CA", $0)] } ?? [])
        for (role, path) in files where !FileManager.default.isReadableFile(atPath: path) {
            throw EmbeddedServerError(message: "cannot read the TLS \(role) '\(path)'")
        }
    }
}
