// How wss:// connections verify the server and present themselves.

/// TLS settings for `wss://` connections.
///
/// By default the server is verified against the system trust store and its certificate must
/// match the URL's host (the host also goes out as SNI). Every relaxation is opt-in, named for what
/// it gives up, and logged as a warning on every connect.
public struct TLSConfiguration: Sendable, Hashable {
    /// A certificate (or a bundle of them), from a PEM file or PEM text in memory.
    public enum PEMSource: Sendable, Hashable {
        /// A PEM file, read when the connection's TLS context is created.
        case file(String)
        /// PEM text in memory (`-----BEGIN CERTIFICATE-----…`), for secrets that never touch disk.
        case pem(String)
    }

    /// Certificate checks that may be relaxed, each giving up a specific guarantee.
    public struct InsecureOptions: OptionSet, Sendable, Hashable, CustomStringConvertible {
        /// The option bits.
        public let rawValue: Int
        /// Options from their bits; prefer the named options.
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// Accept a self-signed server certificate (anyone can make one).
        public static let allowSelfSigned = InsecureOptions(rawValue: 1 << 0)
        /// Accept a certificate whose issuer is unknown to the trust store.
        public static let allowUnknownIssuer = InsecureOptions(rawValue: 1 << 1)
        /// Do not check that the certificate names the host we connect to.
        public static let skipHostnameVerification = InsecureOptions(rawValue: 1 << 2)
        /// Accept expired and not-yet-valid certificates.
        public static let allowExpired = InsecureOptions(rawValue: 1 << 3)

        /// The options' names, as logged with every relaxed connect.
        public var description: String {
            let names: [(InsecureOptions, String)] = [
                (.allowSelfSigned, "allowSelfSigned"), (.allowUnknownIssuer, "allowUnknownIssuer"),
                (.skipHostnameVerification, "skipHostnameVerification"), (.allowExpired, "allowExpired"),
            ]
            return "[" + names.filter { contains($0.0) }.map(\.1).joined(separator: ", ") + "]"
        }
    }

    /// Extra CA certificates trusted in addition to the system trust store (PEM bundles allowed).
    public var additionalTrustRoots: [PEMSource] = []
    /// Leave out the system trust store: trust only ``additionalTrustRoots``.
    public var excludeSystemTrustStore = false
    /// A client certificate and its private key, for servers that require mutual TLS.
    public var clientIdentity: ClientIdentity?
    /// Checks switched off. Empty by default; anything here is logged as a warning on every connect.
    public var insecure: InsecureOptions = []

    /// A client certificate (chain) and its private key, both PEM.
    public struct ClientIdentity: Sendable, Hashable {
        /// The client certificate, optionally followed by its intermediates.
        public var certificate: PEMSource
        /// The certificate's private key (unencrypted PEM).
        public var privateKey: PEMSource
        /// Pairs a certificate with its key.
        public init(certificate: PEMSource, privateKey: PEMSource) {
            self.certificate = certificate
            self.privateKey = privateKey
        }
    }

    /// Verification against the system trust store, no client certificate, nothing relaxed.
    public init() {}

    /// The settings that need their own libwebsockets vhost (trust store, client identity).
    var needsOwnContext: Bool { !additionalTrustRoots.isEmpty || excludeSystemTrustStore || clientIdentity != nil }
}
