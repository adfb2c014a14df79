// Shutdown races: close() from another task while a consumer streams or reads, or while connect()
// is under way.
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

/// `close()` from another task at the worst moment for the task that reads or connects. Each race
/// is repeated, because a race that is lost one time in fifty is still a crash in production.
@Suite(.timeLimit(.minutes(3))) struct ShutdownRaceCloseFromAnotherTaskTests {
    /// A consumer in the middle of `stream()` when another task calls `close()` ends normally
    /// (`nil`, no error) on both a fast finite stream (/push) and the broadcast feed (/feed).
    @Test func closeFromAnotherTaskEndsAStreamingConsumerCleanly() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let paths = ["/push?count=1000000&size=64", "/feed?rate=20000"]
        for round in 0..<50 {
            let manager = WebSocketManager(
                url: server.url(paths[round % 2]), configuration: testConfiguration { $0.autoReconnect = true })
            try await manager.connect()
            let started = EventLog<Int>()
            let consumer = Task { await consume(manager.stream(), started: started) }
            // Half the rounds close while messages are being handed over, half before the first.
            if round % 4 < 2 {
                #expect(await started.wait(count: 1, timeout: .seconds(10)), "round \(round)")
            }
            let closer = Task.detached { await manager.close() }
            let (count, error) = try await within(.seconds(15)) { await consumer.value }
            try await within(.seconds(15)) { await closer.value }
            #expect(error == nil, "round \(round): \(String(describing: error))")
            if round % 4 < 2 { #expect(count > 0, "round \(round)") }
            #expect(manager.state == .closed, "round \(round)")
            #expect(manager.lastClose == WebSocketClose(code: .normalClosure, reason: "", byServer: false))
            #expect(manager.stats.disconnects == 1, "round \(round)")
            #expect(manager.stats.reactiveDisconnects == 0, "round \(round)")
            #expect(manager.stats.reconnects == 0, "round \(round)")
            // Ended for good: the next read says so with the normal close code.
            let after = try await #require(throws: WebSocketClosedError.self) {
                try await manager.receive(timeout: .seconds(5))
            }
            #expect(after.code == .normalClosure)
            #expect(after.reason == "")
        }
        // The server counts a connection on its own thread, a moment after the client sees it open.
        #expect(await waitUntil { server.totalConnections == 50 })
        #expect(await waitUntil { server.connectionCount == 0 })
    }

    /// A consumer blocked in `receive()` when another task calls `close()` gets
    /// ``WebSocketClosedError`` with 1000 once the queued messages are read: never a hang, never
    /// a timeout error.
    @Test func closeFromAnotherTaskEndsAReceiveLoopWithClosedError() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        for round in 0..<20 {
            let manager = WebSocketManager(
                url: server.url("/feed?rate=20000"), configuration: testConfiguration())
            try await manager.connect()
            let started = EventLog<Int>()
            let consumer = Task { () -> (Int, any Error) in
                var count = 0
                while true {
                    do {
                        _ = try await manager.receive(timeout: .seconds(30))
                        count += 1
                        if count == 1 { started.append(round) }
                    } catch {
                        return (count, error)
                    }
                }
            }
            #expect(await started.wait(count: 1, timeout: .seconds(10)), "round \(round)")
            await manager.close()
            let (count, error) = try await within(.seconds(15)) { await consumer.value }
            #expect(count > 0)
            let closed = try #require(error as? WebSocketClosedError, "round \(round): \(error)")
            #expect(closed.code == .normalClosure)
            #expect(closed.reason == "")
            #expect(manager.state == .closed)
        }
        #expect(await waitUntil { server.connectionCount == 0 })
    }

    /// `close()` while `connect()` is under way in another task, at shifting moments: `connect()`
    /// either wins or throws ``WebSocketConnectionError`` for this URL, never anything else and
    /// never a hang; the manager ends closed, the server sees no connection left, and no
    /// callback (not even a late `onConnect`) runs after `close()` returned.
    @Test func closeRacingConnect() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let url = server.url("/echo")
        for round in 0..<40 {
            let recorder = CallbackRecorder()
            let manager = WebSocketManager(
                url: url,
                configuration: testConfiguration {
                    $0.autoReconnect = true
                    $0.onConnect = { recorder.record("connect") }
                    $0.onDisconnect = { recorder.record("disconnect(\($0))") }
                })
            let accepted = server.totalConnections
            let connecting = Task { try await manager.connect() }
            var sawConnected = false
            switch round % 4 {
            case 0: break // at once: before the attempt reaches the loop
            case 1:
                // Yields, not sleeps: they only move the close to another point of the attempt.
                for _ in 0..<round { await Task.yield() }
            case 2: _ = await waitUntil { server.totalConnections > accepted } // upgrade under way
            default: sawConnected = await manager.waitConnected(timeout: .seconds(10)) // racing onConnect
            }
            try await within(.seconds(15)) { await manager.close() }
            let atReturn = recorder.closeReturned()
            // A connection that was adopted has had its onDisconnect run by now.
            #expect(atReturn.events.filter { $0.hasPrefix("disconnect") }.count == manager.stats.disconnects)
            #expect(atReturn.events.filter { $0 == "connect" }.count <= 1)
            let outcome = try await within(.seconds(15)) { await connecting.result }
            switch outcome {
            case .success: break
            case .failure(let error):
                // Once the manager was seen connected, the connect had already won.
                #expect(!sawConnected, "round \(round)")
                let refused = try #require(error as? WebSocketConnectionError, "round \(round): \(error)")
                #expect(refused.url == url)
            }
            #expect(manager.state == .closed, "round \(round)")
            #expect(await waitUntil { server.connectionCount == 0 }, "round \(round)")
            #expect(recorder.late.isEmpty, "round \(round): late callbacks \(recorder.late)")
        }
    }
}
