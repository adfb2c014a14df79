// Shutdown races: every public API of a manager after shutdown().
import Foundation
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

/// Every public API after `shutdown()`: a clean refusal or nothing, never a hang or a reconnect.
@Suite(.timeLimit(.minutes(3))) struct ShutdownRaceAfterShutdownTests {
    @Test func everyPublicAPIAfterShutdownFailsCleanly() async throws {
        struct Payload: Encodable { let type = "hello" }
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let url = server.url("/echo")
        let log = EventLog<ManagerEvent>()
        let manager = WebSocketManager(
            url: url,
            configuration: testConfiguration {
                $0.autoReconnect = true
                $0.record(into: log)
            })
        try await manager.connect()
        try await manager.subscribe("before")
        // The echo of the subscribe request, read so that nothing is left queued at shutdown.
        let echo = try await manager.receive(timeout: .seconds(10))
        #expect(echo.text?.contains("before") == true)
        await manager.shutdown()
        let sentAtShutdown = manager.stats.messagesSent
        #expect(manager.isShutdown)
        #expect(manager.state == .closed)
        #expect(manager.isDead)
        #expect(!manager.isConnected)
        #expect(manager.connectionDuration == nil)
        #expect(manager.lastClose == WebSocketClose(code: .normalClosure, reason: "", byServer: false))

        // Sending, every overload: WebSocketConnectionError for this URL, no attempt made.
        func expectRefused(_ body: () async throws -> Void, _ what: String) async {
            do {
                try await body()
                Issue.record("\(what) succeeded after shutdown()")
            } catch let error as WebSocketConnectionError {
                #expect(error.url == url, "\(what)")
                #expect(error.attempts == 0, "\(what)")
                #expect(error.lastError == nil, "\(what)")
            } catch {
                Issue.record("\(what) threw \(type(of: error)): \(error)")
            }
        }
        await expectRefused({ try await manager.send("text") }, "send(String)")
        await expectRefused({ try await manager.send([1, 2, 3] as [UInt8]) }, "send([UInt8])")
        await expectRefused({ try await manager.send(Data([1, 2, 3])) }, "send(Data)")
        await expectRefused({ try await manager.send(json: Payload()) }, "send(json:)")
        await expectRefused({ try await manager.connect() }, "connect()")

        // Subscriptions are only remembered (there is no connection to send them on).
        try await manager.subscribe("after")
        try await manager.subscribe(["list"])
        try await manager.unsubscribe("before")
        #expect(manager.subscriptions == ["after", "list"])
        #expect(manager.stats.messagesSent == sentAtShutdown)

        // Reading: the stream is over, normally.
        let closed = try await #require(throws: WebSocketClosedError.self) { try await manager.receive() }
        #expect(closed.code == .normalClosure)
        #expect(closed.reason == "")
        let timed = try await #require(throws: WebSocketClosedError.self) {
            try await manager.receive(timeout: .seconds(30))
        }
        #expect(timed.code == .normalClosure)
        let (messages, error) = try await within(.seconds(15)) { await consume(manager.stream()) }
        #expect(messages == 0)
        #expect(error == nil)
        let decoded = try await within(.seconds(15)) {
            var count = 0
            for try await _ in manager.stream().decoded(as: [String: String].self) { count += 1 }
            return count
        }
        #expect(decoded == 0)

        // Proactive control and waiting: nothing happens, nothing waits.
        try await within(.seconds(15)) {
            await manager.requestDisconnect()
            await manager.requestDisconnect(reconnectAfter: .zero, reason: .scheduled)
            await manager.scheduleReconnect(after: .zero)
        }
        #expect(try await within(.seconds(15)) { await manager.waitConnected(timeout: .seconds(60)) } == false)
        #expect(try await within(.seconds(15)) { await manager.waitConnected() } == false)
        #expect(try await within(.seconds(15)) { await manager.waitDisconnected(timeout: .seconds(60)) })
        #expect(try await within(.seconds(15)) { await manager.waitDisconnected() })
        // The reconnect window only asks its decider (none here: open at once); it reconnects nothing.
        #expect(try await within(.seconds(15)) { await manager.waitForReconnectWindow(timeout: .seconds(60)) })
        let neverOpen = try await within(.seconds(15)) {
            await manager.waitForReconnectWindow({ .notYet }, timeout: .milliseconds(50))
        }
        #expect(neverOpen == false)
        manager.kill()
        manager.forceClose()
        try await within(.seconds(15)) {
            await manager.close()
            await manager.shutdown()
        }
        manager.resetStats()
        #expect(manager.stats.disconnects == 0)

        // Still closed, nothing reconnected, no callback beyond the first connect and disconnect.
        #expect(manager.state == .closed)
        #expect(manager.isShutdown)
        #expect(manager.stateHistory == [.disconnected, .connecting, .connected, .closing, .closed])
        #expect(manager.stats.connects == 0)
        #expect(log.events == [.connect, .disconnect(.userRequested)])
    }

    /// The same, on a manager shut down before it ever connected.
    @Test func everyPublicAPIAfterShutdownOfANeverConnectedManager() async throws {
        let url = "ws://127.0.0.1:\(refusedPort())/"
        let manager = WebSocketManager(url: url, configuration: testConfiguration { $0.autoReconnect = true })
        await manager.shutdown()
        #expect(manager.state == .closed)
        #expect(manager.isShutdown)
        #expect(manager.lastClose == nil)
        let connect = try await #require(throws: WebSocketConnectionError.self) { try await manager.connect() }
        #expect(connect.url == url)
        #expect(connect.attempts == 0)
        #expect(connect.lastError == nil)
        let send = try await #require(throws: WebSocketConnectionError.self) { try await manager.send("x") }
        #expect(send.attempts == 0)
        let closed = try await #require(throws: WebSocketClosedError.self) {
            try await manager.receive(timeout: .seconds(30))
        }
        #expect(closed.code == .normalClosure)
        try await within(.seconds(15)) {
            await manager.scheduleReconnect(after: .zero)
            await manager.requestDisconnect(reconnectAfter: .zero)
        }
        #expect(try await within(.seconds(15)) { await manager.waitConnected() } == false)
        #expect(manager.state == .closed)
        #expect(manager.stats.connects == 0)
        #expect(manager.stats.disconnects == 0)
    }
}
