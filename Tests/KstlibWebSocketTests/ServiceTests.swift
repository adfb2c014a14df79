// The manager in a swift-service-lifecycle ServiceGroup, against the embedded server.
import Logging
import ServiceLifecycle
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite struct ServiceTests {
    private func group(_ manager: WebSocketManager) -> ServiceGroup {
        ServiceGroup(configuration: .init(services: [manager], logger: Logger(label: "test.service-group")))
    }

    @Test func gracefulShutdownClosesWith1001AndShutsTheManagerDown() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/echo"), configuration: testConfiguration())
        let group = group(manager)
        let running = Task { try await group.run() }
        #expect(await manager.waitConnected(timeout: .seconds(10)), "connected by the service's run()")
        try await manager.send("before shutdown")
        #expect(try await manager.receive(timeout: .seconds(10)) == .text("before shutdown"))
        await group.triggerGracefulShutdown()
        try await within { try await running.value }
        #expect(manager.state == .closed)
        #expect(manager.isShutdown)
        #expect(manager.lastClose?.code == .goingAway)
        #expect(server.receivedCloseCodes == [1001], "the server saw the client going away")
    }

    @Test func cancellationCutsTheConnectionWithoutWaiting() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        var config = testConfiguration()
        config.closeTimeout = .seconds(30)
        let manager = WebSocketManager(url: server.url("/echo"), configuration: config)
        let group = group(manager)
        let running = Task { try await group.run() }
        #expect(await manager.waitConnected(timeout: .seconds(10)), "connected by the service's run()")
        running.cancel()
        _ = try await within(.seconds(10)) { try? await running.value }
        #expect(manager.state == .closed)
        #expect(manager.isShutdown)
        #expect(server.receivedCloseCodes.isEmpty, "cut, not closed: \(server.receivedCloseCodes)")
    }

    @Test func aFirstConnectionThatFailsFailsTheGroup() async throws {
        let url = "ws://127.0.0.1:\(refusedPort())/feed"
        let manager = WebSocketManager(url: url, configuration: testConfiguration())
        let group = group(manager)
        let error = try await #require(throws: WebSocketConnectionError.self) {
            try await within { try await group.run() }
        }
        #expect(error.url == url)
        #expect(error.attempts == 1)
        #expect((error.lastError as? WebSocketHandshakeFailure)?.kind == .connectFailed)
        #expect(manager.state == .closed && manager.isShutdown)
    }

    @Test func gracefulShutdownStopsAConnectStillRetrying() async throws {
        let config = testConfiguration {
            $0.autoReconnect = true
            $0.reconnectStrategy = .fixedDelay
            $0.reconnectDelay = .seconds(600)
        }
        let manager = WebSocketManager(url: "ws://127.0.0.1:\(refusedPort())/feed", configuration: config)
        let group = group(manager)
        let running = Task { try await group.run() }
        #expect(await manager.waitFor({ $0 == .connecting }, timeout: .seconds(10)), "run() started connecting")
        await group.triggerGracefulShutdown()
        try await within(.seconds(10)) { try await running.value }
        #expect(manager.state == .closed && manager.isShutdown)
    }

    @Test func runReturnsWhenTheManagerIsClosedElsewhere() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/echo"), configuration: testConfiguration())
        let running = Task { try await manager.run() }
        #expect(await manager.waitConnected(timeout: .seconds(10)), "connected by run()")
        await manager.close()
        try await within { try await running.value }
        #expect(server.receivedCloseCodes == [1000])
    }
}
