// Shutdown races: dropping the last reference to managers that are connected and streaming.
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

/// Managers dropped mid-stream without `close()`: freed, their connections gone, their streams ended.
@Suite(.timeLimit(.minutes(3))) struct ShutdownRaceDroppedManagerTests {
    /// A manager dropped while connected and streaming, with every callback set, subscriptions
    /// and proactive checks running: it is freed (no retain cycle), its connection goes away on
    /// the server, and a consumer still iterating its stream ends instead of hanging.
    @Test func droppingAStreamingManagerReleasesEverything() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let weakManager = WeakReference<WebSocketManager>()
        let log = EventLog<ManagerEvent>()
        let started = EventLog<Int>()
        let consumer: Task<(count: Int, error: (any Error)?), Never>
        do {
            let manager = WebSocketManager(
                url: server.url("/feed?rate=20000"),
                configuration: testConfiguration {
                    $0.autoReconnect = true
                    $0.record(into: log)
                    $0.onMessage = { _ in }
                    $0.shouldDisconnect = { false }
                    $0.disconnectCheckInterval = .milliseconds(20)
                    $0.maxConnectionAge = .seconds(3600)
                    $0.disconnectMargin = .seconds(60)
                })
            weakManager.value = manager
            try await manager.connect()
            try await manager.subscribe("a", "b")
            let stream = manager.stream()
            consumer = Task { await consume(stream, started: started) }
            #expect(await started.wait(count: 1, timeout: .seconds(10)))
            #expect(server.connectionCount == 1)
        }
        #expect(await waitUntil { weakManager.value == nil })
        #expect(await waitUntil { server.connectionCount == 0 })
        let (count, error) = try await within(.seconds(15)) { await consumer.value }
        #expect(count > 0)
        // The connection was cut without a close frame: the stream says so, like a dropped TCP.
        let closed = try #require(error as? WebSocketClosedError, "\(String(describing: error))")
        #expect(closed.code == .abnormalClosure)
        // No reconnect behind the application's back (the one connection was counted long ago).
        #expect(await waitUntil { server.totalConnections == 1 })
    }

    /// Many managers dropped at once from several tasks, each mid-stream: all are freed and the
    /// server sees every connection go.
    @Test func droppingManyManagersAtOnce() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let references = (0..<16).map { _ in WeakReference<WebSocketManager>() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for reference in references {
                group.addTask {
                    let manager = WebSocketManager(
                        url: server.url("/push?count=1000000&size=32"), configuration: testConfiguration())
                    reference.value = manager
                    try await manager.connect()
                    _ = try await manager.receive(timeout: .seconds(10))
                }
            }
            try await group.waitForAll()
        }
        #expect(await waitUntil { references.allSatisfy { $0.value == nil } })
        // The server counts a connection on its own thread, a moment after the client sees it open.
        #expect(await waitUntil { server.totalConnections == 16 })
        #expect(await waitUntil { server.connectionCount == 0 })
    }
}
