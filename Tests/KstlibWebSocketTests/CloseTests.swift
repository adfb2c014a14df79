// How a connection ends, and how the stream reports it.
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite(.timeLimit(.minutes(3))) struct CloseTests {
    @Test func serverCloseWithPrivateCodeThrowsClosedErrorWithCodeAndReason() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = WebSocketManager(
            url: server.url("/close?code=4001&reason=bye"), configuration: testConfiguration())
        try await manager.connect()
        let (_, error) = await drain(manager)
        let closed = try #require(error as? WebSocketClosedError)
        #expect(closed.code == 4001)
        #expect(closed.reason == "bye")
        #expect(manager.state == .disconnected)
        #expect(manager.lastClose == WebSocketClose(code: 4001, reason: "bye", byServer: true))
        #expect(manager.stats.reactiveDisconnects == 1)
    }

    @Test(arguments: [1000, 1001])
    func normalServerCloseFinishesTheStream(code: Int) async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/close?code=\(code)"), configuration: testConfiguration())
        try await manager.connect()
        let (_, error) = await drain(manager)
        #expect(error == nil)
        #expect(manager.lastClose?.code == WebSocketCloseCode(UInt16(code)))
    }

    @Test func droppedTCPIsClosedError1006() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/drop"), configuration: testConfiguration())
        try await manager.connect()
        let (_, error) = await drain(manager)
        let closed = try #require(error as? WebSocketClosedError)
        #expect(closed.code == .abnormalClosure)
        #expect(manager.state == .disconnected)
    }

    @Test func messagesReceivedBeforeTheCloseAreDeliveredFirst() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/control"), configuration: testConfiguration())
        try await manager.connect()
        try await manager.send("send 50")
        try await manager.send("close 4002 done")
        let (messages, error) = await drain(manager)
        #expect(messages.count == 50)
        #expect(messages.last?.text == "{\"seq\":50}")
        #expect((error as? WebSocketClosedError)?.code == 4002)
    }

    @Test func clientCloseIsCleanAndFinal() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/echo"), configuration: testConfiguration())
        try await manager.connect()
        #expect(manager.isConnected)
        try await manager.send("last words")
        let echoed = try await manager.receive(timeout: .seconds(5))
        #expect(echoed == .text("last words"))
        await manager.close()
        #expect(manager.state == .closed)
        #expect(manager.isDead)
        #expect(manager.lastClose == WebSocketClose(code: 1000, reason: "", byServer: false))
        let (_, error) = await drain(manager)
        #expect(error == nil)
        await #expect(throws: WebSocketConnectionError.self) { try await manager.send("after close") }
        await #expect(throws: WebSocketConnectionError.self) { try await manager.connect() }
        await #expect(throws: WebSocketClosedError.self) { try await manager.receive() }
    }

    @Test func withWebSocketClosesEvenWhenTheBodyThrows() async throws {
        struct BodyFailed: Error {}
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let captured = ManagerBox()
        await #expect(throws: BodyFailed.self) {
            try await withWebSocket(url: server.url("/echo"), configuration: testConfiguration()) { ws in
                captured.manager = ws
                try await ws.send("hi")
                _ = try await ws.receive(timeout: .seconds(5))
                throw BodyFailed()
            }
        }
        #expect(captured.manager?.state == .closed)
    }

    @Test func withWebSocketReturnsTheBodysResult() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let text = try await withWebSocket(url: server.url("/echo"), configuration: testConfiguration()) { ws in
            try await ws.send("ping?")
            return try await ws.receive(timeout: .seconds(5)).text
        }
        #expect(text == "ping?")
    }
}

final class ManagerBox: @unchecked Sendable {
    var manager: WebSocketManager?
}
