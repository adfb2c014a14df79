// Failures through an HTTP CONNECT proxy: the proxy's own (down, refusing with a status) are
// `.proxy`, the target's stay the target's.
import Foundation
import Glibc
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite struct ProxyFailureTests {
    func through(_ port: Int, _ adjust: (inout WebSocketConfiguration) -> Void = { _ in }) -> WebSocketConfiguration {
        testConfiguration {
            $0.proxy = .http(host: "127.0.0.1", port: port)
            adjust(&$0)
        }
    }

    @Test func aProxyRefusingTheConnectIsAProxyFailureWithItsStatusAndHeaders() async throws {
        let proxy = try ConnectProxy(
            mode: .refuse(status: 407, headers: ["Proxy-Authenticate: Basic realm=\"corp\""], body: "who are you?"))
        defer { proxy.stop() }
        // Reconnection on: a 407 is permanent, so one attempt only.
        let config = through(proxy.port) {
            $0.autoReconnect = true
            $0.reconnectStrategy = .immediate
        }
        let manager = WebSocketManager(url: "ws://feed.example:80/", configuration: config)
        let error = try await connectFailure(manager)
        #expect(error.attempts == 1)
        #expect(error.httpStatus == 407)
        let failure = try #require(error.lastError as? WebSocketHandshakeFailure)
        #expect(failure.kind == .proxy)
        #expect(
            failure.reason
                == "the proxy at 127.0.0.1:\(proxy.port) refused to connect to feed.example:80: HTTP 407 Refused")
        #expect(failure.headers["proxy-authenticate"] == "Basic realm=\"corp\"")
        #expect(failure.headers["content-length"] == "12")
    }

    @Test func aTargetTheProxyCannotReachIsAProxy502AndIsRetried() async throws {
        let proxy = try ConnectProxy()
        defer { proxy.stop() }
        let config = through(proxy.port) {
            $0.autoReconnect = true
            $0.maxReconnectAttempts = 2
            $0.reconnectStrategy = .immediate
        }
        let target = refusedPort()
        let manager = WebSocketManager(url: "ws://127.0.0.1:\(target)/", configuration: config)
        let error = try await connectFailure(manager)
        #expect(error.attempts == 2)
        #expect(error.httpStatus == 502)
        let failure = try #require(error.lastError as? WebSocketHandshakeFailure)
        #expect(failure.kind == .proxy)
        #expect(
            failure.reason
                == "the proxy at 127.0.0.1:\(proxy.port) refused to connect to 127.0.0.1:\(target): HTTP 502 Bad Gateway"
        )
    }

    @Test func aProxyThatIsDownIsAProxyFailureNotTheTargets() async throws {
        let down = refusedPort()
        let manager = WebSocketManager(url: "ws://feed.example:80/", configuration: through(down))
        let error = try await connectFailure(manager)
        #expect(error.httpStatus == nil)
        let failure = try #require(error.lastError as? WebSocketHandshakeFailure)
        #expect(failure.kind == .proxy)
        #expect(failure.reason == "cannot reach the proxy at 127.0.0.1:\(down): connection refused (ECONNREFUSED)")
        #expect(failure.socketError == .connectionRefused)
        #expect(ConnectRetryPolicy.standardDecision(for: failure) == .retry)
    }

    @Test func aRejectedUpgradeBehindAWorkingProxyStaysTheTargets() async throws {
        let server = try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            try peer.sendHTTP(status: 403, reason: "Forbidden")
        }
        defer { server.stop() }
        let proxy = try ConnectProxy()
        defer { proxy.stop() }
        let manager = WebSocketManager(url: server.url("/"), configuration: through(proxy.port))
        let error = try await connectFailure(manager)
        #expect(error.httpStatus == 403)
        #expect((error.lastError as? WebSocketHandshakeFailure)?.kind == .httpStatus)
    }

    @Test func theProbeReadsTheStatusLineAndHeaders() {
        let answer = Array("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 4\r\nVia: a\r\nVia: b\r\n\r\nbody".utf8)
        #expect(
            ProxyProbe.parse(answer)
                == .answered(status: 503, reason: "Service Unavailable", headers: ["retry-after": "4", "via": "a, b"]))
        #expect(ProxyProbe.parse(Array("SSH-2.0-OpenSSH\r\n".utf8)) == nil)
    }
}
