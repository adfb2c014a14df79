// Shutdown races: no callback after close(), shutdown() or forceClose() returned, and closing
// from inside a callback.
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

/// Callbacks around the end of a manager: none runs after the end returned, and a callback that
/// ends its own manager is not waited for. Each race is repeated, because a race that is lost one
/// time in fifty is still a crash in production.
@Suite(.timeLimit(.minutes(3))) struct ShutdownRaceCallbacksAfterCloseTests {
    /// Once `close()` or `shutdown()` has returned, no callback runs any more: every message
    /// counted was already handed to `onMessage`, `onDisconnect` has run, and nothing comes
    /// later.
    @Test(arguments: [false, true])
    func noCallbackFiresAfterCloseReturned(viaShutdown: Bool) async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        for round in 0..<10 {
            let recorder = CallbackRecorder()
            let manager = WebSocketManager(
                url: server.url(round % 2 == 0 ? "/feed?rate=20000" : "/push?count=1000000&size=64"),
                configuration: testConfiguration {
                    $0.autoReconnect = true
                    $0.onConnect = { recorder.record("connect") }
                    $0.onDisconnect = { recorder.record("disconnect(\($0))") }
                    $0.onAlert = { recorder.record("alert(\($0.channel))") }
                    $0.onMessage = { _ in
                        // A callback that takes a moment lets a backlog build up.
                        await Task.yield()
                        recorder.record("message")
                    }
                })
            try await manager.connect()
            let consumer = Task { await consume(manager.stream()) }
            #expect(await waitUntil { manager.stats.messagesReceived >= 100 }, "round \(round)")
            if viaShutdown { await manager.shutdown() } else { await manager.close() }
            let atReturn = recorder.closeReturned()
            let received = manager.stats.messagesReceived
            #expect(atReturn.messages == received, "round \(round): \(atReturn.messages) of \(received) at return")
            #expect(atReturn.events == ["connect", "disconnect(userRequested)"], "round \(round)")
            _ = try await within(.seconds(15)) { await consumer.value }
            // The server has seen the connection go: anything still to come would be late.
            #expect(await waitUntil { server.connectionCount == 0 })
            #expect(manager.stats.messagesReceived == received)
            #expect(recorder.late.isEmpty, "round \(round): late callbacks \(recorder.late)")
        }
    }

    /// A callback that closes its own manager is not waited for by that close (it would wait for
    /// itself): `close()` inside `onMessage` and `shutdown()` inside `onDisconnect` return. The
    /// close timeout is far beyond the test's limit, so a close waiting for its own callback
    /// would show as a timeout here.
    @Test func closingFromInsideACallbackDoesNotWaitForItself() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let log = EventLog<String>()
        let fromMessage = WeakReference<WebSocketManager>()
        let closer = WebSocketManager(
            url: server.url("/feed?rate=1000"),
            configuration: testConfiguration {
                $0.closeTimeout = .seconds(120)
                $0.onMessage = { _ in
                    guard let manager = fromMessage.value, manager.state == .connected else { return }
                    await manager.close()
                    log.append("close() returned in onMessage")
                }
            })
        fromMessage.value = closer
        try await closer.connect()
        #expect(try await within(.seconds(15)) { await log.wait(count: 1, timeout: .seconds(60)) })
        #expect(closer.state == .closed)
        let (_, error) = try await within(.seconds(15)) { await consume(closer.stream()) }
        #expect(error == nil, "\(String(describing: error))")

        let fromDisconnect = WeakReference<WebSocketManager>()
        let shutter = WebSocketManager(
            url: server.url("/close?code=4000&reason=bye"),
            configuration: testConfiguration {
                $0.closeTimeout = .seconds(120)
                $0.onDisconnect = { _ in
                    await fromDisconnect.value?.shutdown()
                    log.append("shutdown() returned in onDisconnect")
                }
            })
        fromDisconnect.value = shutter
        try await shutter.connect()
        #expect(try await within(.seconds(15)) { await log.wait(count: 2, timeout: .seconds(60)) })
        #expect(shutter.state == .closed)
        #expect(shutter.isShutdown)
        #expect(shutter.lastClose == WebSocketClose(code: 4000, reason: "bye", byServer: true))
        #expect(log.events == ["close() returned in onMessage", "shutdown() returned in onDisconnect"])
    }

    /// After `forceClose()` has returned the manager takes no more messages from the dying
    /// connection: the statistics stop and `onMessage` gets only what was counted, even when the
    /// loop was handing over a batch while `forceClose()` ran.
    @Test func nothingIsDeliveredAfterForceCloseReturned() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        for round in 0..<10 {
            let recorder = CallbackRecorder()
            let manager = WebSocketManager(
                url: server.url("/feed?rate=50000"),
                configuration: testConfiguration { $0.onMessage = { _ in recorder.record("message") } })
            try await manager.connect()
            #expect(await waitUntil { manager.stats.messagesReceived >= 100 }, "round \(round)")
            manager.forceClose()
            let received = manager.stats.messagesReceived
            #expect(await waitUntil { server.connectionCount == 0 })
            let final = manager.stats.messagesReceived
            #expect(final == received, "round \(round): \(final - received) after forceClose()")
            #expect(await waitUntil { recorder.count(of: "message") == final }, "round \(round)")
        }
    }
}
