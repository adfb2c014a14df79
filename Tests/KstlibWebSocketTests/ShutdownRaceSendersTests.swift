// Shutdown races: cutting a connection with forceClose() or kill() while tasks send.
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

/// A connection cut under senders: every send succeeds or is refused cleanly. Each race is
/// repeated, because a race that is lost one time in fifty is still a crash in production.
@Suite(.timeLimit(.minutes(3))) struct ShutdownRaceSendersTests {
    /// `forceClose()` while four tasks send as fast as they can: every send either succeeds or
    /// throws ``WebSocketConnectionError`` (this URL, no attempt, no underlying error); once
    /// `forceClose()` has returned no send succeeds.
    @Test func forceCloseRacingSenders() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let url = server.url("/echo")
        for round in 0..<20 {
            let manager = WebSocketManager(url: url, configuration: testConfiguration())
            try await manager.connect()
            let consumer = Task { await consume(manager.stream()) }
            let senders = (0..<4).map { sender in
                Task { await sendUntilRefused(manager, tag: "\(round).\(sender)") }
            }
            #expect(await waitUntil { manager.stats.messagesSent >= 200 }, "round \(round)")
            manager.forceClose()
            #expect(manager.state == .closed)
            await #expect(throws: WebSocketConnectionError.self) { try await manager.send("after forceClose") }
            for sender in senders {
                let error = try await within(.seconds(15)) { await sender.value }
                let refused = try #require(
                    error as? WebSocketConnectionError, "round \(round): \(String(describing: error))")
                #expect(refused.url == url)
                #expect(refused.attempts == 0)
                #expect(refused.lastError == nil)
            }
            let (_, error) = try await within(.seconds(15)) { await consumer.value }
            #expect(error == nil, "round \(round): \(String(describing: error))")
            #expect(manager.stats.disconnects == 1)
        }
        #expect(await waitUntil { server.connectionCount == 0 })
    }

    /// `kill()` while four tasks send, reconnection off: the senders are refused with
    /// ``WebSocketConnectionError``, the stream fails with 1006 and the manager is disconnected
    /// (not closed: it may connect again).
    @Test func killRacingSenders() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let url = server.url("/echo")
        for round in 0..<20 {
            let log = EventLog<ManagerEvent>()
            let manager = WebSocketManager(url: url, configuration: testConfiguration { $0.record(into: log) })
            try await manager.connect()
            let consumer = Task { await consume(manager.stream()) }
            let senders = (0..<4).map { sender in
                Task { await sendUntilRefused(manager, tag: "\(round).\(sender)") }
            }
            #expect(await waitUntil { manager.stats.messagesSent >= 200 }, "round \(round)")
            manager.kill()
            for sender in senders {
                let error = try await within(.seconds(15)) { await sender.value }
                let refused = try #require(
                    error as? WebSocketConnectionError, "round \(round): \(String(describing: error))")
                #expect(refused.url == url)
                #expect(refused.attempts == 0)
            }
            let (_, error) = try await within(.seconds(15)) { await consumer.value }
            let closed = try #require(error as? WebSocketClosedError, "round \(round): \(String(describing: error))")
            #expect(closed.code == .abnormalClosure)
            #expect(manager.state == .disconnected)
            #expect(manager.lastClose?.code == .abnormalClosure)
            #expect(manager.stats.reactiveDisconnects == 1)
            #expect(await log.wait(count: 2))
            #expect(log.events == [.connect, .disconnect(.killed)], "round \(round)")
            await manager.close()
            #expect(manager.state == .closed)
        }
        #expect(await waitUntil { server.connectionCount == 0 })
    }
}

/// Sends until a send is refused and returns the refusal; `nil` only if a million sends passed
/// (the connection never went away).
private func sendUntilRefused(_ manager: WebSocketManager, tag: String) async -> (any Error)? {
    for index in 0..<1_000_000 {
        do {
            try await manager.send("\(tag).\(index)")
        } catch {
            return error
        }
        // Sending does not suspend: let the other tasks (and the test) run on the two cores.
        await Task.yield()
    }
    return nil
}
