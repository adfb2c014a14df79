// Reactive disconnects and reconnection, over real sockets, with the backoff read off an
// injected clock.
import Foundation
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

/// A test configuration that reconnects. Every timeout is at least 10 s so that, with a
/// `RecordingClock(realTimeFrom: .seconds(10))`, timeouts run in real time and only the delays
/// between attempts are scaled (and listed in `clock.delays`).
func reconnectingConfiguration(_ adjust: (inout WebSocketConfiguration) -> Void = { _ in }) -> WebSocketConfiguration {
    testConfiguration {
        $0.autoReconnect = true
        $0.connectionTimeout = .seconds(20)
        $0.closeTimeout = .seconds(20)
        $0.disconnectCheckInterval = .seconds(60)
        $0.reconnectCheckInterval = .seconds(60)
        adjust(&$0)
    }
}

/// A clock whose sleeps under 10 s (the delays) are recorded and scaled down.
func recordingClock() -> RecordingClock { RecordingClock(realTimeFrom: .seconds(10)) }

@Suite(.timeLimit(.minutes(3))) struct ReconnectTests {
    // MARK: Giving up

    /// Connects to /echo, stops the server (1001, then the port is closed) so that every
    /// reconnect attempt is refused, and waits for the stream to end.
    private func reconnectToStoppedServer(
        _ config: WebSocketConfiguration, clock: RecordingClock
    ) async throws -> (manager: WebSocketManager, error: (any Error)?, log: EventLog<ManagerEvent>) {
        let server = try EmbeddedWebSocketServer()
        let log = EventLog<ManagerEvent>()
        var config = config
        config.record(into: log)
        let manager = WebSocketManager(url: server.url("/echo"), configuration: config, clock: clock)
        try await manager.connect()
        #expect(clock.delays.isEmpty, "a successful first attempt waits for nothing: \(clock.delays)")
        // No reconnect attempt may run before the port is really closed.
        clock.hold()
        server.stop()
        clock.release()
        let (_, error) = try await within(.seconds(60)) { await drain(manager) }
        return (manager, error, log)
    }

    /// Checks what every give-up has in common, whatever the strategy.
    private func expectGaveUp(
        _ manager: WebSocketManager, _ error: (any Error)?, log: EventLog<ManagerEvent>, attempts: Int
    ) async throws {
        let failure = try #require(error as? WebSocketReconnectError, "\(String(describing: error))")
        #expect(failure.attempts == attempts)
        let last = try #require(
            failure.lastError as? WebSocketHandshakeFailure, "\(String(describing: failure.lastError))")
        #expect(last.kind == .connectFailed)
        #expect(last.httpStatus == nil)
        #expect(last.reason.localizedCaseInsensitiveContains("connect"), "\(last.reason)")
        #expect(manager.state == .disconnected)
        #expect(manager.isDead)
        #expect(manager.stateHistory == [.disconnected, .connecting, .connected, .reconnecting, .disconnected])
        #expect(manager.lastClose == WebSocketClose(code: .goingAway, reason: "server shutting down", byServer: true))
        let stats = manager.stats
        #expect(stats.connects == 1)
        #expect(stats.reconnects == 0)
        #expect(stats.disconnects == 1)
        #expect(stats.reactiveDisconnects == 1)
        #expect(stats.proactiveDisconnects == 0)
        #expect(await log.wait(count: 2))
        #expect(log.events == [.connect, .disconnect(.serverClosed)])
    }

    /// The model: `min(reconnect_delay * 2^(attempt-1), max_reconnect_delay)` before reconnect
    /// attempt 1, 2, 3...: 1, 2, 4, 5, 5 s for a 1 s base, a 5 s cap and 5 attempts.
    @Test func exponentialBackoffWaitsOneTwoFourFiveFiveThenGivesUp() async throws {
        let clock = recordingClock()
        let config = reconnectingConfiguration {
            $0.reconnectStrategy = .exponentialBackoff
            $0.reconnectDelay = .seconds(1)
            $0.maxReconnectDelay = .seconds(5)
            $0.maxReconnectAttempts = 5
        }
        let (manager, error, log) = try await reconnectToStoppedServer(config, clock: clock)
        try await expectGaveUp(manager, error, log: log, attempts: 5)
        #expect(clock.delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5)])
    }

    @Test func fixedDelayWaitsTheSameBeforeEveryAttempt() async throws {
        let clock = recordingClock()
        let config = reconnectingConfiguration {
            $0.reconnectStrategy = .fixedDelay
            $0.reconnectDelay = .seconds(3)
            $0.maxReconnectAttempts = 3
        }
        let (manager, error, log) = try await reconnectToStoppedServer(config, clock: clock)
        try await expectGaveUp(manager, error, log: log, attempts: 3)
        #expect(clock.delays == [.seconds(3), .seconds(3), .seconds(3)])
    }

    @Test func immediateNeverWaits() async throws {
        let clock = recordingClock()
        let config = reconnectingConfiguration {
            $0.reconnectStrategy = .immediate
            $0.reconnectDelay = .seconds(3)
            $0.maxReconnectAttempts = 4
        }
        let (manager, error, log) = try await reconnectToStoppedServer(config, clock: clock)
        try await expectGaveUp(manager, error, log: log, attempts: 4)
        #expect(clock.delays.allSatisfy { $0 == .zero }, "\(clock.delays)")
    }

    // MARK: Reconnecting

    @Test func serverDropReconnectsAndTheStreamCarriesOn() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let clock = recordingClock()
        let log = EventLog<ManagerEvent>()
        let config = reconnectingConfiguration { $0.record(into: log) }
        let manager = WebSocketManager(url: server.url("/ticker?rate=200"), configuration: config, clock: clock)
        try await manager.connect()

        var before: [Int] = []
        while before.count < 5 {
            before.append(try #require(sequenceNumber(try await manager.receive(timeout: .seconds(30)))))
        }
        server.dropAllConnections()
        // Quotes of the first connection may still be queued; the ticker numbers each
        // connection from 1, so the first seq that does not follow on is the new connection's.
        var after: [Int] = []
        while after.count < 3 {
            let seq = try #require(sequenceNumber(try await manager.receive(timeout: .seconds(30))))
            if after.isEmpty && seq == before.count + 1 { before.append(seq) } else { after.append(seq) }
        }
        #expect(before == Array(1...before.count))
        #expect(after == [1, 2, 3])

        #expect(await log.wait(count: 3))
        #expect(log.events == [.connect, .disconnect(.networkError), .connect])
        #expect(manager.state == .connected)
        #expect(manager.stateHistory == [.disconnected, .connecting, .connected, .reconnecting, .connected])
        let stats = manager.stats
        #expect(stats.connects == 2)
        #expect(stats.reconnects == 1)
        #expect(stats.disconnects == 1)
        #expect(stats.reactiveDisconnects == 1)
        #expect(stats.proactiveDisconnects == 0)
        #expect(manager.lastClose == WebSocketClose(code: .abnormalClosure, reason: "", byServer: false))
        #expect(await waitUntil { server.totalConnections == 2 })
        // The default strategy's first delay: reconnectDelay.
        #expect(clock.delays == [.seconds(1)])

        await manager.close()
        #expect(await log.wait(count: 4))
        #expect(log.events == [.connect, .disconnect(.networkError), .connect, .disconnect(.userRequested)])
        #expect(manager.stats.proactiveDisconnects == 1)
    }

    @Test(arguments: [1000, 4000])
    func serverCloseFrameReconnects(code: Int) async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let clock = recordingClock()
        let log = EventLog<ManagerEvent>()
        let config = reconnectingConfiguration { $0.record(into: log) }
        let manager = WebSocketManager(url: server.url("/echo"), configuration: config, clock: clock)
        try await manager.connect()
        server.closeAllConnections(code: UInt16(code), reason: "rotate")

        #expect(await log.wait(count: 3))
        #expect(log.events == [.connect, .disconnect(.serverClosed), .connect])
        #expect(manager.state == .connected)
        #expect(
            manager.lastClose
                == WebSocketClose(code: WebSocketCloseCode(UInt16(code)), reason: "rotate", byServer: true))
        #expect(manager.stats.reconnects == 1)
        #expect(manager.stats.reactiveDisconnects == 1)
        #expect(await waitUntil { server.totalConnections == 2 })
        // The new connection is the one in use.
        try await manager.send("still here")
        #expect(try await manager.receive(timeout: .seconds(30)) == .text("still here"))
        await manager.close()
    }

    /// kstlib's kill(): immediate, reactive, and no automatic reconnect even with autoReconnect on.
    @Test func killIsImmediateAndNeverReconnects() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let clock = recordingClock()
        let log = EventLog<ManagerEvent>()
        let config = reconnectingConfiguration { $0.record(into: log) }
        let manager = WebSocketManager(url: server.url("/echo"), configuration: config, clock: clock)
        try await manager.connect()
        manager.kill()

        // Already done when kill() returns.
        #expect(manager.state == .disconnected)
        #expect(manager.isDead)
        #expect(manager.stats.disconnects == 1)
        #expect(manager.stats.reactiveDisconnects == 1)
        #expect(manager.lastClose == WebSocketClose(code: .abnormalClosure, reason: "", byServer: false))
        let (_, error) = try await within { await drain(manager) }
        let closed = try #require(error as? WebSocketClosedError, "\(String(describing: error))")
        #expect(closed.message == "the connection was killed")
        #expect(closed.code == .abnormalClosure)
        // The server saw the connection go, and nothing followed: no backoff, no second connection.
        #expect(
            await waitUntil { server.totalConnections == 1 && server.connectionCount == 0 },
            "the server to see the killed connection open and end")
        #expect(await log.wait(count: 2))
        #expect(log.events == [.connect, .disconnect(.killed)])
        #expect(clock.delays.isEmpty, "\(clock.delays)")
        #expect(server.totalConnections == 1)
        #expect(manager.stateHistory == [.disconnected, .connecting, .connected, .disconnected])

        // Reconnecting is the application's call; the stream then carries on.
        try await within { try await manager.connect() }
        try await manager.send("after kill")
        #expect(try await manager.receive(timeout: .seconds(30)) == .text("after kill"))
        #expect(log.events == [.connect, .disconnect(.killed), .connect])
        await manager.close()
    }

    @Test func killStopsAReconnectionUnderWay() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let clock = recordingClock()
        clock.hold() // the reconnect's first backoff waits until released
        let manager = WebSocketManager(
            url: server.url("/echo"), configuration: reconnectingConfiguration(), clock: clock)
        try await manager.connect()
        server.stop()
        #expect(await manager.waitFor({ $0 == .reconnecting }, timeout: .seconds(10)), "the reconnect to start")
        #expect(await clock.waitForDelays(1), "the reconnect's first backoff")
        manager.kill()
        #expect(manager.state == .disconnected)
        clock.release()
        let (_, error) = try await within { await drain(manager) }
        #expect(
            (error as? WebSocketClosedError)?.message == "the connection was killed", "\(String(describing: error))")
        #expect(manager.stateHistory == [.disconnected, .connecting, .connected, .reconnecting, .disconnected])
        #expect(manager.stats.disconnects == 1) // the server's drop; kill found no connection to count
    }

    @Test func killWithoutAutoReconnectEndsTheStreamWith1006() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let log = EventLog<ManagerEvent>()
        let config = testConfiguration { $0.record(into: log) }
        let manager = WebSocketManager(url: server.url("/echo"), configuration: config)
        try await manager.connect()
        manager.kill()

        let (_, error) = try await within(.seconds(60)) { await drain(manager) }
        let closed = try #require(error as? WebSocketClosedError, "\(String(describing: error))")
        #expect(closed.code == .abnormalClosure)
        #expect(closed.reason == "")
        #expect(manager.state == .disconnected)
        #expect(manager.isDead)
        #expect(manager.lastClose == WebSocketClose(code: .abnormalClosure, reason: "", byServer: false))
        #expect(manager.stats.reactiveDisconnects == 1)
        #expect(manager.stats.reconnects == 0)
        #expect(await log.wait(count: 2))
        #expect(log.events == [.connect, .disconnect(.killed)])
        #expect(await waitUntil { server.totalConnections == 1 })
    }

    @Test func killWhenNotConnectedDoesNothing() async throws {
        let manager = WebSocketManager(url: "ws://127.0.0.1:\(refusedPort())/", configuration: testConfiguration())
        manager.kill()
        #expect(manager.state == .disconnected)
        #expect(manager.stats.disconnects == 0)
        #expect(manager.stateHistory == [.disconnected])
    }

    // MARK: The initial connect

    @Test func initialConnectRetriesWithTheFixedDelay() async throws {
        let clock = recordingClock()
        let url = "ws://127.0.0.1:\(refusedPort())/echo"
        let config = reconnectingConfiguration {
            $0.reconnectStrategy = .fixedDelay
            $0.reconnectDelay = .seconds(2)
            $0.maxReconnectAttempts = 3
        }
        let manager = WebSocketManager(url: url, configuration: config, clock: clock)
        let error = try await #require(throws: WebSocketConnectionError.self) { try await manager.connect() }
        #expect(error.url == url)
        #expect(error.attempts == 3)
        let last = try #require(error.lastError as? WebSocketHandshakeFailure)
        #expect(last.kind == .connectFailed)
        #expect(clock.delays == [.seconds(2), .seconds(2)])
        // Every attempt is bounded by connectionTimeout, on the injected clock.
        #expect(clock.timeouts == [.seconds(20), .seconds(20), .seconds(20)])
        #expect(manager.state == .disconnected)
        #expect(manager.stateHistory == [.disconnected, .connecting, .disconnected])
        #expect(manager.stats.connects == 0)
    }

    @Test func initialConnectRetriesWithExponentialBackoff() async throws {
        let clock = recordingClock()
        let config = reconnectingConfiguration {
            $0.reconnectStrategy = .exponentialBackoff
            $0.reconnectDelay = .seconds(1)
            $0.maxReconnectDelay = .seconds(3)
            $0.maxReconnectAttempts = 4
        }
        let manager = WebSocketManager(url: "ws://127.0.0.1:\(refusedPort())/", configuration: config, clock: clock)
        let error = try await #require(throws: WebSocketConnectionError.self) { try await manager.connect() }
        #expect(error.attempts == 4)
        #expect(clock.delays == [.seconds(1), .seconds(2), .seconds(3)])
    }

    @Test func initialConnectWithoutAutoReconnectTriesOnce() async throws {
        let clock = recordingClock()
        let config = testConfiguration {
            $0.connectionTimeout = .seconds(20)
            $0.maxReconnectAttempts = 5
        }
        let manager = WebSocketManager(url: "ws://127.0.0.1:\(refusedPort())/", configuration: config, clock: clock)
        let error = try await #require(throws: WebSocketConnectionError.self) { try await manager.connect() }
        #expect(error.attempts == 1)
        #expect(clock.delays.isEmpty)
    }
}
