// OpenSSL outlives every libwebsockets context. From libwebsockets 4.5, destroying the last
// context created with OpenSSL's global init calls OPENSSL_cleanup(), and nothing in the process
// can use OpenSSL afterwards; `lwss_hold_tls_library` keeps one idle context for that. The check
// needs a process whose first contexts come and go, so it runs in a fresh one: this test binary,
// filtered to the child test below.
import CLWSShim
import Foundation
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite(.timeLimit(.minutes(3))) struct TLSLibraryLifetimeTests {
    static let childVariable = "KSTLIB_TLS_LIFETIME_CHILD"
    static let childTest = "tlsContextsComeAndGoInAFreshProcess"

    @Test func openSSLOutlivesTheFirstContextsOfAProcess() async throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0])
        let child = try ChildProcess(
            binary, arguments: ["--testing-library", "swift-testing", "--filter", Self.childTest],
            environment: [Self.childVariable: "1"])
        let status = try await child.exit(within: .seconds(120))
        let output = (child.stdout.events + child.stderr.events).joined(separator: "\n")
        #expect(status == 0, "the child process ended with \(status):\n\(output)")
        #expect(output.contains("\(Self.childTest)() passed"), "the child test did not run:\n\(output)")
    }

    /// The anchor exists exactly where libwebsockets would clean OpenSSL up: 4.5 and later 4.x.
    @Test func theAnchorIsHeldOnlyWhereLibWebSocketsCleansUp() {
        let (major, minor) = (LWS_LIBRARY_VERSION_MAJOR, LWS_LIBRARY_VERSION_MINOR)
        #expect((lwss_hold_tls_library() != 0) == (major == 4 && minor >= 5))
    }

    /// Two TLS servers started and stopped one after the other, then a wss round trip with a
    /// third: on 4.5 without the anchor, the second server's context is the first to crash.
    @Test(.enabled(if: ProcessInfo.processInfo.environment[childVariable] != nil))
    func tlsContextsComeAndGoInAFreshProcess() async throws {
        let certificates = try await TestCertificates.shared()
        let tls = EmbeddedServerTLS(
            certificateChainPath: certificates.server.certificatePath, privateKeyPath: certificates.server.keyPath)
        for _ in 0..<2 { try EmbeddedWebSocketServer(tls: tls).stop() }
        let server = try EmbeddedWebSocketServer(tls: tls)
        defer { server.stop() }
        let manager = WebSocketManager(
            url: "wss://localhost:\(server.port)/echo",
            configuration: testConfiguration { $0.tls.additionalTrustRoots = [.file(certificates.ca.certificatePath)] })
        try await within { try await manager.connect() }
        try await manager.send("after two servers came and went")
        #expect(try await manager.receive(timeout: .seconds(10)) == .text("after two servers came and went"))
        await manager.close()
    }
}
