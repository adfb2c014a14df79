// wss:// against the embedded server over TLS: trust roots, every verification failure and the
// option that relaxes it, and mutual TLS. Certificates come from Support/TestCertificates.swift.
import Foundation
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite(.timeLimit(.minutes(3))) struct TLSTests {
    // MARK: Helpers

    /// A wss:// embedded server presenting `identity`, requiring client certificates issued by
    /// `clientCA` when given.
    func server(_ identity: TestCertificates.Identity, clientCA: TestCertificates.Identity? = nil) throws
        -> EmbeddedWebSocketServer
    {
        try EmbeddedWebSocketServer(
            tls: EmbeddedServerTLS(
                certificateChainPath: identity.certificatePath, privateKeyPath: identity.keyPath,
                clientCATrustPath: clientCA?.certificatePath))
    }

    /// The same server reached by name instead of 127.0.0.1.
    func localhostURL(_ server: EmbeddedWebSocketServer, _ path: String = "/echo") -> String {
        "wss://localhost:\(server.port)\(path)"
    }

    /// Connects, round-trips one message through /echo, closes cleanly.
    func echoes(_ url: String, _ config: WebSocketConfiguration) async throws {
        let manager = WebSocketManager(url: url, configuration: config)
        try await within { try await manager.connect() }
        #expect(manager.isConnected)
        try await manager.send("over TLS")
        #expect(try await manager.receive(timeout: .seconds(5)) == .text("over TLS"))
        try await manager.send([0, 1, 2, 255])
        #expect(try await manager.receive(timeout: .seconds(5)) == .binary([0, 1, 2, 255]))
        await manager.close()
        #expect(manager.lastClose?.code == .normalClosure)
    }

    /// Expects the connect to fail with a WebSocketConnectionError whose last error is a
    /// `.tls` WebSocketHandshakeFailure; returns that failure.
    func tlsFailure(_ url: String, _ config: WebSocketConfiguration) async throws -> WebSocketHandshakeFailure {
        let manager = WebSocketManager(url: url, configuration: config)
        let error = try await #require(throws: WebSocketConnectionError.self) {
            try await within { try await manager.connect() }
        }
        #expect(error.url == url)
        #expect(error.attempts == 1)
        #expect(error.httpStatus == nil)
        let failure = try #require(error.lastError as? WebSocketHandshakeFailure, "\(error)")
        #expect(failure.kind == .tls, "\(failure)")
        #expect(failure.httpStatus == nil)
        #expect(manager.state == .disconnected)
        return failure
    }

    func trusting(_ certificates: TestCertificates, _ adjust: (inout WebSocketConfiguration) -> Void = { _ in })
        -> WebSocketConfiguration
    {
        testConfiguration {
            $0.tls.additionalTrustRoots = [.file(certificates.ca.certificatePath)]
            adjust(&$0)
        }
    }

    // MARK: Trusted server

    @Test func theServerURLIsWSS() async throws {
        let certificates = try await TestCertificates.shared()
        let server = try server(certificates.server)
        defer { server.stop() }
        #expect(server.url("/echo") == "wss://127.0.0.1:\(server.port)/echo")
        #expect(server.tls?.certificateChainPath == certificates.server.certificatePath)
    }

    @Test func aServerCertificateFromAnAddedRootConnectsByIPAndByName() async throws {
        let certificates = try await TestCertificates.shared()
        let server = try server(certificates.server)
        defer { server.stop() }
        try await echoes(server.url("/echo"), trusting(certificates))
        try await echoes(localhostURL(server), trusting(certificates))
        #expect(await waitUntil { server.totalConnections == 2 })
    }

    @Test func aRootGivenAsPEMTextInMemoryWorksToo() async throws {
        let certificates = try await TestCertificates.shared()
        let server = try server(certificates.server)
        defer { server.stop() }
        let config = testConfiguration { $0.tls.additionalTrustRoots = [.pem(certificates.ca.certificatePEM)] }
        try await echoes(server.url("/echo"), config)
    }

    @Test func onlyTheAddedRootsWhenTheSystemStoreIsExcluded() async throws {
        let certificates = try await TestCertificates.shared()
        let server = try server(certificates.server)
        defer { server.stop() }
        try await echoes(localhostURL(server), trusting(certificates) { $0.tls.excludeSystemTrustStore = true })
    }

    @Test func aBundleOfRootsIsSearchedWhole() async throws {
        let certificates = try await TestCertificates.shared()
        let server = try server(certificates.server)
        defer { server.stop() }
        // The trusted root second in the bundle: libwebsockets' in-memory CA would keep only the first.
        let bundle = certificates.untrustedCA.certificatePEM + certificates.ca.certificatePEM
        try await echoes(server.url("/echo"), testConfiguration { $0.tls.additionalTrustRoots = [.pem(bundle)] })
    }

    // MARK: Verification failures, and the option that relaxes each

    @Test func anUnknownIssuerIsRefused() async throws {
        let certificates = try await TestCertificates.shared()
        let server = try server(certificates.server)
        defer { server.stop() }
        // No extra root: the test CA is not in the system store.
        let failure = try await tlsFailure(server.url("/echo"), testConfiguration())
        #expect(failure.reason.contains("unable to get local issuer certificate"), "\(failure.reason)")
        #expect(failure.reason.contains("X509 error 20"), "\(failure.reason)")
        #expect(server.totalConnections == 0)

        // Trusting another CA changes nothing.
        let untrusted = try self.server(certificates.untrustedServer)
        defer { untrusted.stop() }
        let other = try await tlsFailure(untrusted.url("/echo"), trusting(certificates))
        #expect(other.reason.contains("unable to get local issuer certificate"), "\(other.reason)")
    }

    @Test func allowUnknownIssuerAcceptsIt() async throws {
        let certificates = try await TestCertificates.shared()
        let server = try server(certificates.untrustedServer)
        defer { server.stop() }
        try await echoes(server.url("/echo"), testConfiguration { $0.tls.insecure = [.allowUnknownIssuer] })
    }

    @Test func aChainEndingInAnUntrustedRootIsRefused() async throws {
        let certificates = try await TestCertificates.shared()
        let server = try server(certificates.serverWithRoot)
        defer { server.stop() }
        let failure = try await tlsFailure(server.url("/echo"), testConfiguration())
        #expect(failure.reason.contains("self-signed certificate in certificate chain"), "\(failure.reason)")
        #expect(failure.reason.contains("X509 error 19"), "\(failure.reason)")
        // The root is self-signed: allowSelfSigned covers it, allowUnknownIssuer does not.
        let still = try await tlsFailure(
            server.url("/echo"), testConfiguration { $0.tls.insecure = [.allowUnknownIssuer] })
        #expect(still.reason.contains("self-signed certificate in certificate chain"), "\(still.reason)")
        try await echoes(server.url("/echo"), testConfiguration { $0.tls.insecure = [.allowSelfSigned] })
    }

    @Test func aSelfSignedCertificateIsRefusedUnlessAllowed() async throws {
        let certificates = try await TestCertificates.shared()
        let server = try server(certificates.selfSigned)
        defer { server.stop() }
        let failure = try await tlsFailure(server.url("/echo"), testConfiguration())
        #expect(failure.reason.contains("self-signed certificate"), "\(failure.reason)")
        #expect(failure.reason.contains("X509 error 18"), "\(failure.reason)")
        let unknownIssuerOnly = try await tlsFailure(
            server.url("/echo"), testConfiguration { $0.tls.insecure = [.allowUnknownIssuer] })
        #expect(unknownIssuerOnly.reason.contains("X509 error 18"), "\(unknownIssuerOnly.reason)")
        try await echoes(server.url("/echo"), testConfiguration { $0.tls.insecure = [.allowSelfSigned] })
        try await echoes(localhostURL(server), testConfiguration { $0.tls.insecure = [.allowSelfSigned] })
    }

    @Test func aCertificateForAnotherNameIsRefused() async throws {
        let certificates = try await TestCertificates.shared()
        let server = try server(certificates.wrongName)
        defer { server.stop() }
        // By IP: the certificate has no IP SAN.
        let byIP = try await tlsFailure(server.url("/echo"), trusting(certificates))
        #expect(byIP.reason.contains("IP address mismatch"), "\(byIP.reason)")
        #expect(byIP.reason.contains("X509 error 64"), "\(byIP.reason)")
        // By name: it names wrong.example only.
        let byName = try await tlsFailure(localhostURL(server), trusting(certificates))
        #expect(byName.reason.contains("hostname mismatch"), "\(byName.reason)")
        #expect(byName.reason.contains("X509 error 62"), "\(byName.reason)")
        #expect(server.totalConnections == 0)
    }

    @Test func skipHostnameVerificationAcceptsAnotherName() async throws {
        let certificates = try await TestCertificates.shared()
        let server = try server(certificates.wrongName)
        defer { server.stop() }
        let skip = trusting(certificates) { $0.tls.insecure = [.skipHostnameVerification] }
        try await echoes(server.url("/echo"), skip)
        try await echoes(localhostURL(server), skip)
        // It skips only the name: an unknown issuer is still refused.
        let untrusted = try await tlsFailure(
            server.url("/echo"), testConfiguration { $0.tls.insecure = [.skipHostnameVerification] })
        #expect(untrusted.reason.contains("unable to get local issuer certificate"), "\(untrusted.reason)")
    }

    @Test func anExpiredCertificateIsRefusedUnlessAllowed() async throws {
        let certificates = try await TestCertificates.shared()
        let server = try server(certificates.expired)
        defer { server.stop() }
        let failure = try await tlsFailure(server.url("/echo"), trusting(certificates))
        #expect(failure.reason.contains("certificate has expired"), "\(failure.reason)")
        #expect(failure.reason.contains("X509 error 10"), "\(failure.reason)")
        try await echoes(server.url("/echo"), trusting(certificates) { $0.tls.insecure = [.allowExpired] })
    }

    // MARK: Mutual TLS

    @Test func withoutAClientCertificateTheServerRefuses() async throws {
        let certificates = try await TestCertificates.shared()
        let server = try server(certificates.server, clientCA: certificates.ca)
        defer { server.stop() }
        // TLS 1.3: our side of the handshake completes, then the server's alert ends it.
        let failure = try await tlsFailure(server.url("/echo"), trusting(certificates))
        #expect(failure.reason.contains("alert 'certificate required' (TLS alert 116)"), "\(failure.reason)")
        #expect(server.totalConnections == 0)
        // OpenSSL refuses the missing certificate itself, before any verification.
        #expect(server.rejectedClientCertificates == 0)
    }

    @Test func aClientCertificateFromFilesIsAccepted() async throws {
        let certificates = try await TestCertificates.shared()
        let server = try server(certificates.server, clientCA: certificates.ca)
        defer { server.stop() }
        let config = trusting(certificates) {
            $0.tls.clientIdentity = .init(
                certificate: .file(certificates.client.certificatePath), privateKey: .file(certificates.client.keyPath))
        }
        try await echoes(server.url("/echo"), config)
        try await echoes(localhostURL(server), config)
        #expect(server.rejectedClientCertificates == 0)
    }

    @Test func aClientCertificateFromPEMTextIsAccepted() async throws {
        let certificates = try await TestCertificates.shared()
        let server = try server(certificates.server, clientCA: certificates.ca)
        defer { server.stop() }
        let config = trusting(certificates) {
            $0.tls.clientIdentity = .init(
                certificate: .pem(certificates.client.certificatePEM), privateKey: .pem(certificates.client.keyPEM))
        }
        try await echoes(server.url("/echo"), config)
        #expect(server.rejectedClientCertificates == 0)
    }

    @Test func aClientCertificateFromAnotherCAIsRefused() async throws {
        let certificates = try await TestCertificates.shared()
        let server = try server(certificates.server, clientCA: certificates.ca)
        defer { server.stop() }
        let config = trusting(certificates) {
            $0.tls.clientIdentity = .init(
                certificate: .file(certificates.untrustedClient.certificatePath),
                privateKey: .file(certificates.untrustedClient.keyPath))
        }
        let failure = try await tlsFailure(server.url("/echo"), config)
        #expect(failure.reason.contains("alert 'unknown CA' (TLS alert 48)"), "\(failure.reason)")
        #expect(server.rejectedClientCertificates == 1)
        #expect(server.totalConnections == 0)
    }

    // MARK: Server setup

    @Test func aPlainClientGetsNothingFromATLSServer() async throws {
        let certificates = try await TestCertificates.shared()
        let server = try server(certificates.server)
        defer { server.stop() }
        let url = "ws://127.0.0.1:\(server.port)/echo"
        let manager = WebSocketManager(url: url, configuration: testConfiguration())
        let error = try await #require(throws: WebSocketConnectionError.self) {
            try await within { try await manager.connect() }
        }
        let failure = try #require(error.lastError as? WebSocketHandshakeFailure, "\(error)")
        // TCP connected and the upgrade request went out; what came back was no HTTP answer (the
        // TLS server drops the plaintext request, usually with a reset).
        let unanswered = WSI.PeerState.allCases.map {
            LWSConnection.unansweredUpgrade(peer: $0, detail: failure.detail)
        }
        #expect(unanswered.contains(failure), "\(failure)")
        #expect(server.totalConnections == 0)
    }

    @Test func aServerWithAnUnreadableCertificateDoesNotStart() async throws {
        let certificates = try await TestCertificates.shared()
        let missing = certificates.directory.appendingPathComponent("missing.pem").path
        let error = try #require(throws: EmbeddedServerError.self) {
            try EmbeddedWebSocketServer(
                tls: EmbeddedServerTLS(certificateChainPath: missing, privateKeyPath: certificates.server.keyPath))
        }
        #expect(error.message.contains("missing.pem"), "\(error.message)")
        // A key that is not the certificate's: libwebsockets refuses the vhost.
        let mismatched = try #require(throws: EmbeddedServerError.self) {
            try EmbeddedWebSocketServer(
                tls: EmbeddedServerTLS(
                    certificateChainPath: certificates.server.certificatePath,
                    privateKeyPath: certificates.client.keyPath))
        }
        #expect(mismatched.message.contains("TLS"), "\(mismatched.message)")
    }
}
