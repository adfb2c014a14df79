// The ways a manager ends, waiting for states, and the read-only properties.
import Foundation
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite(.timeLimit(.minutes(3))) struct LifecycleTests {
    @Test func closeIsTerminal() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let log = EventLog<ManagerEvent>()
        let url = server.url("/echo")
        let manager = WebSocketManager(url: url, configuration: testConfiguration { $0.record(into: log) })
        try await manager.connect()
        await manager.close()
        #expect(manager.state == .closed)
        #expect(manager.state.isTerminal)
        #expect(manager.isDead)
        #expect(!manager.isConnected)
        #expect(!manager.isShutdown)
        #expect(manager.lastClose == WebSocketClose(code: .normalClosure, reason: "", byServer: false))
        let error = try await #require(throws: WebSocketConnectionError.self) { try await manager.connect() }
        #expect(error.url == url)
        #expect(error.attempts == 0)
        #expect(error.lastError == nil)
        await #expect(throws: WebSocketConnectionError.self) { try await manager.send("late") }
        #expect(await log.wait(count: 2))
        #expect(log.events == [.connect, .disconnect(.userRequested)])
        #expect(manager.stats.proactiveDisconnects == 1)
        #expect(manager.stats.reactiveDisconnects == 0)
        #expect(manager.stateHistory == [.disconnected, .connecting, .connected, .closing, .closed])
        // Closing again changes nothing.
        await manager.close()
        #expect(manager.state == .closed)
        #expect(manager.stats.disconnects == 1)
    }

    @Test func closeBeforeConnectingIsTerminalToo() async throws {
        let manager = WebSocketManager(url: "ws://127.0.0.1:\(refusedPort())/", configuration: testConfiguration())
        await manager.close()
        #expect(manager.state == .closed)
        #expect(manager.stats.disconnects == 0)
        #expect(manager.lastClose == nil)
        await #expect(throws: WebSocketConnectionError.self) { try await manager.connect() }
        let (_, error) = try await within(.seconds(60)) { await drain(manager) }
        #expect(error == nil, "\(String(describing: error))")
    }

    @Test func forceCloseCutsAtOnceAndIsTerminal() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let log = EventLog<ManagerEvent>()
        let manager = WebSocketManager(
            url: server.url("/ticker?rate=100"),
            configuration: testConfiguration {
                $0.autoReconnect = true
                $0.record(into: log)
            })
        try await manager.connect()
        _ = try await manager.receive(timeout: .seconds(30))
        manager.forceClose()
        #expect(manager.state == .closed)
        #expect(manager.isDead)
        // The stream ends normally once its queued quotes are read, with no reconnect.
        let (_, error) = try await within(.seconds(60)) { await drain(manager) }
        #expect(error == nil, "\(String(describing: error))")
        #expect(await log.wait(count: 2))
        #expect(log.events == [.connect, .disconnect(.userRequested)])
        #expect(manager.stats.connects == 1)
        #expect(manager.stats.proactiveDisconnects == 1)
        #expect(manager.stateHistory == [.disconnected, .connecting, .connected, .closed])
        await #expect(throws: WebSocketConnectionError.self) { try await manager.connect() }
        #expect(await waitUntil(timeout: .seconds(30)) { server.connectionCount == 0 })
        #expect(await waitUntil { server.totalConnections == 1 })
    }

    @Test func shutdownMarksTheManagerAndCloses() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = WebSocketManager(
            url: server.url("/echo"), configuration: testConfiguration { $0.autoReconnect = true })
        try await manager.connect()
        #expect(!manager.isShutdown)
        await manager.shutdown()
        #expect(manager.isShutdown)
        #expect(manager.state == .closed)
        #expect(manager.lastClose == WebSocketClose(code: .normalClosure, reason: "", byServer: false))
        await #expect(throws: WebSocketConnectionError.self) { try await manager.connect() }
        let (_, error) = try await within(.seconds(60)) { await drain(manager) }
        #expect(error == nil, "\(String(describing: error))")
    }

    @Test func waitConnectedAndWaitDisconnected() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/echo"), configuration: testConfiguration())
        #expect(await manager.waitDisconnected(timeout: .seconds(5)))
        #expect(await manager.waitConnected(timeout: .milliseconds(50)) == false)

        let waiter = Task { await manager.waitConnected(timeout: .seconds(30)) }
        try await manager.connect()
        #expect(await waiter.value)
        #expect(await manager.waitConnected(timeout: .milliseconds(50)))
        #expect(await manager.waitDisconnected(timeout: .milliseconds(50)) == false)

        let disconnected = Task { await manager.waitDisconnected(timeout: .seconds(30)) }
        await manager.close()
        #expect(await disconnected.value)
        #expect(await manager.waitDisconnected(timeout: .milliseconds(50)))
        // Closed: waiting to be connected is pointless and answers at once.
        let answer = try await within(.seconds(20)) { await manager.waitConnected(timeout: .seconds(60)) }
        #expect(answer == false)
    }

    @Test func waitingTimeoutsGoThroughTheInjectedClock() async throws {
        let clock = RecordingClock()
        let manager = WebSocketManager(
            url: "ws://127.0.0.1:\(refusedPort())/", configuration: testConfiguration(), clock: clock)
        #expect(await manager.waitConnected(timeout: .seconds(7)) == false)
        #expect(clock.delays == [.seconds(7)])
    }

    @Test func receiveTimeoutIsATimeoutError() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/echo"), configuration: testConfiguration())
        try await manager.connect()
        let error = try await #require(throws: WebSocketTimeoutError.self) {
            try await manager.receive(timeout: .milliseconds(50))
        }
        #expect(error.operation == .receive)
        #expect(error.timeout == .milliseconds(50))
        // The timed-out receive took nothing: the next message still arrives.
        try await manager.send("after")
        #expect(try await manager.receive(timeout: .seconds(30)) == .text("after"))
        await manager.close()
    }

    @Test func readOnlyProperties() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let url = server.url("/echo")
        let manager = WebSocketManager(url: url, configuration: testConfiguration())
        #expect(manager.url == url)
        #expect(manager.state == .disconnected)
        #expect(manager.isDead)
        #expect(!manager.isConnected)
        #expect(manager.connectionDuration == nil)
        #expect(manager.lastClose == nil)
        #expect(manager.subscriptions.isEmpty)
        #expect(manager.stats.connectionTime == .zero)
        #expect(manager.stats.uptime >= .zero)

        try await manager.connect()
        #expect(manager.isConnected)
        #expect(!manager.isDead)
        let duration = try #require(manager.connectionDuration)
        #expect(duration >= .zero)
        try await manager.send("tick")
        _ = try await manager.receive(timeout: .seconds(30))
        #expect(try #require(manager.connectionDuration) >= duration)
        let stats = manager.stats
        #expect(stats.connects == 1)
        #expect(stats.messagesSent == 1)
        #expect(stats.messagesReceived == 1)
        #expect(stats.bytesSent == 4)
        #expect(stats.bytesReceived == 4)
        #expect(stats.lastConnectTime != nil)
        #expect(stats.lastMessageTime != nil)
        #expect(stats.uptime > .zero)
        #expect(stats.connectionTime > .zero)
        #expect(stats.uptime >= stats.connectionTime)

        await manager.close()
        #expect(manager.connectionDuration == nil)
        #expect(manager.stats.lastDisconnectTime != nil)
    }

    /// Whoever awaited close() must see the disconnect counted (repeated: it was a race).
    @Test func statsCountTheDisconnectWhenCloseReturns() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        for round in 0..<20 {
            let manager = WebSocketManager(url: server.url("/echo"), configuration: testConfiguration())
            try await manager.connect()
            await manager.close()
            let stats = manager.stats
            #expect(stats.disconnects == 1, "round \(round)")
            #expect(stats.proactiveDisconnects == 1, "round \(round)")
            #expect(stats.lastDisconnectTime != nil, "round \(round)")
        }
    }

    @Test func resetStatsStartsFromZero() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/echo"), configuration: testConfiguration())
        try await manager.connect()
        try await manager.send("one")
        _ = try await manager.receive(timeout: .seconds(30))
        let before = manager.stats
        #expect(before.messagesSent == 1)
        manager.resetStats()
        let after = manager.stats
        #expect(after.connects == 0)
        #expect(after.messagesSent == 0)
        #expect(after.messagesReceived == 0)
        #expect(after.bytesSent == 0)
        #expect(after.bytesReceived == 0)
        #expect(after.lastConnectTime == nil)
        #expect(after.lastMessageTime == nil)
        #expect(after.connectionTime == .zero)
        #expect(after.startTime >= before.startTime)
        // Counting goes on from zero.
        try await manager.send("two")
        _ = try await manager.receive(timeout: .seconds(30))
        #expect(manager.stats.messagesSent == 1)
        #expect(manager.stats.messagesReceived == 1)
        await manager.close()
        #expect(manager.stats.disconnects == 1)
    }
}
