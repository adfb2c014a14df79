// Shutdown races: destroying the event loop under live, reconnecting and connecting managers.
import Synchronization
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

/// The event loop destroyed under its managers: clean errors, no reconnect, no crash in `deinit`.
@Suite(.timeLimit(.minutes(3))) struct ShutdownRaceEventLoopTests {
    /// The loop is destroyed under a streaming manager (reconnection on), one reconnecting and
    /// one still waiting for its upgrade answer. Each ends with a clean, exact error, the live
    /// ones do not try to come back, and every call made afterwards fails cleanly.
    @Test func destroyingTheLoopUnderStreamingReconnectingAndConnectingManagers() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let silent = try RawWebSocketServer { peer in _ = try peer.readRequest() }
        defer { silent.stop() }
        let loop = EventLoop()
        let gate = Gate()

        let streaming = WebSocketManager(
            url: server.url("/feed?rate=20000"),
            configuration: testConfiguration {
                $0.autoReconnect = true
                $0.maxReconnectAttempts = 2
                $0.reconnectDelay = .milliseconds(10)
            }, clock: ContinuousClock(), loop: loop)
        try await streaming.connect()
        let started = EventLog<Int>()
        let streamingReader = Task { await consume(streaming.stream(), started: started) }
        #expect(await started.wait(count: 1, timeout: .seconds(10)))

        // Dropped by the server, then held by `shouldReconnect` until the loop is gone.
        let reconnecting = WebSocketManager(
            url: server.url("/control"),
            configuration: testConfiguration {
                $0.autoReconnect = true
                $0.maxReconnectAttempts = 2
                $0.reconnectStrategy = .callbackControlled
                $0.reconnectCheckInterval = .milliseconds(10)
                $0.shouldReconnect = { gate.isOpen ? .now : .notYet }
            }, clock: ContinuousClock(), loop: loop)
        try await reconnecting.connect()
        let reconnectingReader = Task { await consume(reconnecting.stream()) }
        try await reconnecting.send("drop")
        #expect(await waitUntil { reconnecting.state == .reconnecting })

        let connecting = WebSocketManager(
            url: silent.url("/"), configuration: testConfiguration(), clock: ContinuousClock(), loop: loop)
        let connectAttempt = Task { try await connecting.connect() }
        #expect(await waitUntil { silent.acceptedCount == 1 })

        loop.shutdown(grace: .seconds(2))
        #expect(loop.connectionCount == 0)
        loop.shutdown() // a second shutdown returns at once
        gate.open()

        // The streaming manager: the loop said goodbye with 1001, a normal end, and no reconnect.
        let (count, error) = try await within(.seconds(15)) { await streamingReader.value }
        #expect(count > 0)
        #expect(error == nil, "\(String(describing: error))")
        #expect(streaming.state == .disconnected)
        #expect(
            streaming.lastClose == WebSocketClose(code: .goingAway, reason: "client shutting down", byServer: false))
        #expect(streaming.stats.reconnects == 0)

        // The reconnecting manager: its attempts find the loop gone.
        let (_, reconnectError) = try await within(.seconds(15)) { await reconnectingReader.value }
        let gaveUp = try #require(reconnectError as? WebSocketReconnectError, "\(String(describing: reconnectError))")
        #expect(gaveUp.attempts == 2)
        #expect((gaveUp.lastError as? WebSocketHandshakeFailure)?.kind == .unavailable)
        #expect(await waitUntil { reconnecting.state == .disconnected })

        // The connecting manager: its handshake was cut.
        let connectResult = try await within(.seconds(15)) { await connectAttempt.result }
        let connectError = try #require(throws: WebSocketConnectionError.self) { try connectResult.get() }
        #expect(connectError.url == silent.url("/"))
        #expect(connectError.attempts == 1)
        #expect((connectError.lastError as? WebSocketHandshakeFailure)?.kind == .connectFailed)
        #expect(connecting.state == .disconnected)

        // Every manager of the dead loop refuses further work with clean errors.
        let again = try await #require(throws: WebSocketConnectionError.self) {
            try await within(.seconds(15)) { try await streaming.connect() }
        }
        #expect(again.attempts == 2)
        #expect((again.lastError as? WebSocketHandshakeFailure)?.kind == .unavailable)
        let refused = try await #require(throws: WebSocketConnectionError.self) { try await streaming.send("late") }
        #expect(refused.attempts == 0)
        #expect(refused.lastError == nil)
        for manager in [streaming, reconnecting, connecting] {
            try await within(.seconds(15)) { await manager.close() }
            #expect(manager.state == .closed)
        }
        #expect(await waitUntil { server.connectionCount == 0 })
    }

    /// A connect the stopped loop refuses leaves nothing behind: the connection it made, which
    /// never started, does not keep its link, its send gate or the loop alive.
    @Test func aConnectRefusedByAStoppedLoopLeavesNothingBehind() async throws {
        let loopReference = WeakReference<EventLoop>()
        let managerReference = WeakReference<WebSocketManager>()
        do {
            let loop = EventLoop()
            loopReference.value = loop
            loop.shutdown()
            let manager = WebSocketManager(
                url: "ws://127.0.0.1:9/", configuration: testConfiguration(), clock: ContinuousClock(), loop: loop)
            managerReference.value = manager
            let refused = try await #require(throws: WebSocketConnectionError.self) {
                try await within(.seconds(15)) { try await manager.connect() }
            }
            #expect((refused.lastError as? WebSocketHandshakeFailure)?.kind == .unavailable)
        }
        #expect(await waitUntil { managerReference.value == nil }, "the manager was kept alive")
        #expect(await waitUntil { loopReference.value == nil }, "the stopped loop was kept alive")
    }

    /// Managers dropped without `close()` after their loop was destroyed are freed without a crash
    /// (their `deinit` talks to a loop that has stopped).
    @Test func droppingManagersAfterTheirLoopWasDestroyed() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let loop = EventLoop()
        let references = (0..<4).map { _ in WeakReference<WebSocketManager>() }
        do {
            let managers = references.map { reference in
                let manager = WebSocketManager(
                    url: server.url("/feed?rate=5000"), configuration: testConfiguration(), clock: ContinuousClock(),
                    loop: loop)
                reference.value = manager
                return manager
            }
            for manager in managers { try await manager.connect() }
            loop.shutdown(grace: .milliseconds(500))
            #expect(loop.connectionCount == 0)
            #expect(managers.allSatisfy { $0.state == .disconnected })
        }
        #expect(await waitUntil { references.allSatisfy { $0.value == nil } })
        #expect(await waitUntil { server.connectionCount == 0 })
    }
}

/// A flag the test opens once, read by a callback on another task.
private final class Gate: Sendable {
    private let flag = Atomic<Bool>(false)
    var isOpen: Bool { flag.load(ordering: .acquiring) }
    func open() { flag.store(true, ordering: .releasing) }
}
