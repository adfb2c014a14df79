// Handshake options: headers, origin, subprotocols, proxies; bad input refused before sending.
import Foundation
import HTTPTypes
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite(.timeLimit(.minutes(3))) struct HandshakeOptionsTests {
    @Test(arguments: [
        ("X-Token", "abc\r\nX-Injected: 1", "carriage return"),
        ("X-Token", "abc\nX-Injected: 1", "line feed"),
        ("X-Token", "abc\u{0}def", "NUL"),
        ("X-Bad Name", "v", "not an HTTP token"),
        ("X-Bad\r\nName", "v", "not an HTTP token"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==", "set by the client itself"),
    ])
    func headerInjectionIsRefusedBeforeAnyByteIsSent(name: String, value: String, why: String) async throws {
        let server = try RawWebSocketServer { peer in _ = try peer.readRequest(timeout: .seconds(3)) }
        defer { server.stop() }
        let config = testConfiguration { $0.setLegacyHeaders([(name, value)]) }
        let manager = WebSocketManager(url: server.url("/"), configuration: config)
        let error = try await #require(throws: WebSocketConnectionError.self) { try await manager.connect() }
        #expect(error.attempts == 0)
        let failure = try #require(error.lastError as? WebSocketHandshakeFailure)
        #expect(failure.kind == .invalidRequest)
        #expect(failure.reason.contains(why), "\(failure.reason)")
        #expect(server.acceptedCount == 0)
    }

    @Test func originAndSubprotocolsAreCheckedToo() async throws {
        for config in [
            testConfiguration { $0.origin = "https://a\r\nb" }, testConfiguration { $0.subprotocols = ["chat v2"] },
        ] {
            let manager = WebSocketManager(url: "ws://127.0.0.1:9/", configuration: config)
            let error = try await #require(throws: WebSocketConnectionError.self) { try await manager.connect() }
            #expect((error.lastError as? WebSocketHandshakeFailure)?.kind == .invalidRequest)
        }
    }

    @Test func headersOriginAndSubprotocolsReachTheServer() async throws {
        let server = try RawWebSocketServer { peer in
            let request = try peer.readRequest()
            peer.record("authorization=\(request.headers["authorization"] ?? "-")")
            peer.record("origin=\(request.headers["origin"] ?? "-")")
            peer.record("protocols=\(request.headers["sec-websocket-protocol"] ?? "-")")
            peer.record("host=\(request.headers["host"] ?? "-")")
            try peer.acceptUpgrade(request, subprotocol: "v2.stream")
            try peer.sendClose(code: 1000)
            _ = try peer.readUntilClose()
        }
        defer { server.stop() }
        let config = testConfiguration {
            $0.additionalHeaders = [.authorization: "Bearer s3cr3t"]
            $0.origin = "https://app.example.com"
            $0.subprotocols = ["v3.stream", "v2.stream"]
        }
        let manager = WebSocketManager(url: server.url("/feed?x=1"), configuration: config)
        try await manager.connect()
        #expect(manager.negotiatedSubprotocol == "v2.stream")
        _ = await drain(manager)
        #expect(server.waitForScripts(count: 1, timeout: .seconds(10)))
        #expect(
            server.scriptRecords == [
                "authorization=Bearer s3cr3t", "origin=https://app.example.com",
                "protocols=v3.stream, v2.stream", "host=127.0.0.1:\(server.port)",
            ])
    }

    @Test func subprotocolNegotiatedWithTheEmbeddedServer() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = WebSocketManager(
            url: server.url("/echo"), configuration: testConfiguration { $0.subprotocols = ["chat"] })
        try await manager.connect()
        #expect(manager.negotiatedSubprotocol == "chat")
        await manager.close()
    }

    @Test func anUnofferedSubprotocolIsAHandshakeError() async throws {
        let server = try RawWebSocketServer { peer in
            let request = try peer.readRequest()
            try peer.acceptUpgrade(request, subprotocol: "surprise")
            _ = peer.waitForEOF(timeout: .seconds(5))
        }
        defer { server.stop() }
        let manager = WebSocketManager(
            url: server.url("/"), configuration: testConfiguration { $0.subprotocols = ["chat"] })
        let error = try await #require(throws: WebSocketConnectionError.self) { try await manager.connect() }
        #expect((error.lastError as? WebSocketHandshakeFailure)?.kind == .badHandshake)
    }

    @Test func connectsThroughAnHTTPConnectProxy() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let proxy = try ConnectProxy()
        defer { proxy.stop() }
        let config = testConfiguration { $0.proxy = .http(host: "127.0.0.1", port: proxy.port) }
        let manager = WebSocketManager(url: server.url("/echo"), configuration: config)
        try await manager.connect()
        try await manager.send("through the proxy")
        #expect(try await manager.receive(timeout: .seconds(5)) == .text("through the proxy"))
        await manager.close()
        #expect(proxy.requests.first?.hasPrefix("CONNECT 127.0.0.1:\(server.port) ") == true, "\(proxy.requests)")
    }

    @Test func aProxyThatRefusesIsAConnectionError() async throws {
        let proxy = try ConnectProxy(mode: .refuse(status: 407))
        defer { proxy.stop() }
        let config = testConfiguration { $0.proxy = .http(host: "127.0.0.1", port: proxy.port) }
        let manager = WebSocketManager(url: "ws://example.invalid:80/", configuration: config)
        let error = try await #require(throws: WebSocketConnectionError.self) { try await manager.connect() }
        let failure = try #require(error.lastError as? WebSocketHandshakeFailure)
        #expect(failure.reason.localizedCaseInsensitiveContains("proxy") || failure.httpStatus == 407, "\(failure)")
        #expect(proxy.requests.first?.hasPrefix("CONNECT example.invalid:80 ") == true, "\(proxy.requests)")
    }
}

@Suite(.timeLimit(.minutes(3))) struct ProxyEnvironmentTests {
    func url(_ text: String) throws -> WebSocketURL { try WebSocketURL.parse(text).get() }

    @Test func picksTheVariableForTheScheme() throws {
        let environment = ["https_proxy": "http://proxy.corp:3128", "HTTP_PROXY": "plain.corp:8080"]
        #expect(
            ProxyEnvironment.proxy(for: try url("wss://feed.example.com/"), environment: environment)! == (
                "proxy.corp", 3128
            ))
        #expect(
            ProxyEnvironment.proxy(for: try url("ws://feed.example.com/"), environment: environment)! == (
                "plain.corp", 8080
            ))
        #expect(ProxyEnvironment.proxy(for: try url("ws://feed.example.com/"), environment: [:]) == nil)
    }

    @Test(arguments: [
        ("feed.example.com", "example.com", true), ("feed.example.com", ".example.com", true),
        ("example.com", "example.com", true), ("notexample.com", "example.com", false),
        ("10.1.2.3", "10.1.2.3", true), ("anything", "*", true),
        ("feed.example.com", "other.com, example.com:443", true),
    ])
    func noProxyMatchesHostsAndDomains(host: String, list: String, excluded: Bool) {
        #expect(ProxyEnvironment.excluded(host, by: list) == excluded)
    }

    @Test func proxyURLsParse() {
        #expect(ProxyEnvironment.parse("http://user:pw@proxy:3128/")! == ("proxy", 3128))
        #expect(ProxyEnvironment.parse("https://proxy")! == ("proxy", 443))
        #expect(ProxyEnvironment.parse("[::1]:8080")! == ("::1", 8080))
        #expect(ProxyEnvironment.parse("proxy:notaport") == nil)
    }
}
