// Shutdown races: many enders at once, close() from many tasks, and close(), shutdown() and
// forceClose() racing each other.
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

/// Several tasks ending one manager at once: every call returns and the manager ends once. Each
/// race is repeated, because a race that is lost one time in fifty is still a crash in production.
@Suite(.timeLimit(.minutes(3))) struct ShutdownRaceConcurrentEndersTests {
    /// `close()` from sixteen tasks at once, while messages flow: all return, the manager closes
    /// once (one disconnect, one close handshake) and the stream ends normally.
    @Test func concurrentCloseCallsAreIdempotent() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        for round in 0..<10 {
            let log = EventLog<ManagerEvent>()
            let manager = WebSocketManager(
                url: server.url("/feed?rate=20000"),
                configuration: testConfiguration {
                    $0.autoReconnect = true
                    $0.record(into: log)
                })
            try await manager.connect()
            let consumer = Task { await consume(manager.stream()) }
            try await within(.seconds(15)) {
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<16 { group.addTask { await manager.close() } }
                }
            }
            let (_, error) = try await within(.seconds(15)) { await consumer.value }
            #expect(error == nil, "round \(round): \(String(describing: error))")
            #expect(manager.state == .closed)
            #expect(manager.stats.disconnects == 1, "round \(round)")
            #expect(manager.lastClose == WebSocketClose(code: .normalClosure, reason: "", byServer: false))
            #expect(manager.stateHistory == [.disconnected, .connecting, .connected, .closing, .closed])
            // Every close() has returned: the callbacks have run, including for the closers that
            // found the manager already closed.
            #expect(log.events == [.connect, .disconnect(.userRequested)], "round \(round)")
        }
        #expect(await waitUntil { server.connectionCount == 0 })
    }

    /// `close()`, `shutdown()` and `forceClose()` racing each other: whoever wins, every call
    /// returns, the manager is closed and shut down, and exactly one disconnect is counted.
    @Test func closeShutdownAndForceCloseRacingEachOther() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        for round in 0..<20 {
            let manager = WebSocketManager(
                url: server.url("/feed?rate=20000"), configuration: testConfiguration { $0.autoReconnect = true })
            try await manager.connect()
            let consumer = Task { await consume(manager.stream()) }
            try await within(.seconds(15)) {
                await withTaskGroup(of: Void.self) { group in
                    for index in 0..<12 {
                        group.addTask {
                            switch index % 3 {
                            case 0: await manager.close()
                            case 1: await manager.shutdown()
                            default: manager.forceClose()
                            }
                        }
                    }
                }
            }
            let (_, error) = try await within(.seconds(15)) { await consumer.value }
            #expect(error == nil, "round \(round): \(String(describing: error))")
            #expect(manager.state == .closed)
            #expect(manager.isShutdown)
            #expect(manager.stats.disconnects == 1, "round \(round)")
            #expect(manager.stats.reconnects == 0)
        }
        // The server counts a connection on its own thread, a moment after the client sees it open.
        #expect(await waitUntil { server.totalConnections == 20 })
        #expect(await waitUntil { server.connectionCount == 0 })
    }
}
