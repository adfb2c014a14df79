// Configurations compare by their options (never their callbacks); headers are HTTPFields.
import Foundation
import HTTPTypes
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite struct ConfigurationEqualityTests {
    @Test func optionsCompareCallbacksDoNot() {
        var a = WebSocketConfiguration()
        var b = WebSocketConfiguration()
        #expect(a == b)
        a.onMessage = { _ in }
        #expect(a == b, "callbacks are not compared")
        a.additionalHeaders = [.authorization: "Bearer 1"]
        #expect(a != b)
        b.additionalHeaders = [.authorization: "Bearer 1"]
        #expect(a == b)
        b.metrics = .init(label: "feed")
        #expect(a != b)
        a.metrics = .init(label: "feed")
        #expect(a == b)
        a.proxy = .environment
        #expect(a != b)
    }

    @Test func everyStoredPropertyIsComparedOrNamedAsACallback() {
        let stored = Set(Mirror(reflecting: WebSocketConfiguration()).children.compactMap(\.label))
        let listed = WebSocketConfiguration.comparedProperties.union(WebSocketConfiguration.callbackProperties)
        #expect(stored == listed, "add a new option to == and to comparedProperties")
    }

    @Test func theDeprecatedTupleViewRoundTrips() {
        var config = WebSocketConfiguration()
        config.setLegacyHeaders([("Authorization", "Bearer 1"), ("X-Bad Name", "v")])
        #expect(config.additionalHeaders == [.authorization: "Bearer 1"])
        #expect(config.legacyHeaders.map { "\($0.name)=\($0.value)" } == ["Authorization=Bearer 1", "X-Bad Name=v"])
    }

    @Test func aReservedHeaderInHTTPFieldsIsRefusedBeforeConnecting() async throws {
        let config = testConfiguration {
            $0.additionalHeaders = [HTTPField.Name("Sec-WebSocket-Key")!: "dGhlIHNhbXBsZSBub25jZQ=="]
        }
        let manager = WebSocketManager(url: "ws://127.0.0.1:9/", configuration: config)
        let error = try await #require(throws: WebSocketConnectionError.self) { try await manager.connect() }
        #expect(error.attempts == 0)
        #expect(
            error.lastError as? WebSocketHandshakeFailure
                == WebSocketHandshakeFailure(
                    kind: .invalidRequest,
                    reason: "header 'Sec-WebSocket-Key' is set by the client itself (use the matching option)"))
    }

    @Test func aLineBreakInAnHTTPFieldValueCannotInjectAHeader() async throws {
        let server = try RawWebSocketServer { peer in
            let request = try peer.readRequest()
            peer.record("token=\(request.headers["x-token"] ?? "-")")
            peer.record("injected=\(request.headers["x-injected"] ?? "-")")
            try peer.acceptUpgrade(request)
            try peer.sendClose(code: 1000)
            _ = try peer.readUntilClose()
        }
        defer { server.stop() }
        let config = testConfiguration { $0.additionalHeaders = [HTTPField.Name("X-Token")!: "abc\r\nX-Injected: 1"] }
        let manager = WebSocketManager(url: server.url("/"), configuration: config)
        try await manager.connect()
        _ = await drain(manager)
        #expect(server.waitForScripts(count: 1, timeout: .seconds(10)))
        #expect(server.scriptRecords == ["token=abc  X-Injected: 1", "injected=-"])
    }
}
