// Shutdown races: closing, killing and dropping managers while messages flow, destroying the event
// loop under live connections, every public API after shutdown(), and callbacks after close().
import Foundation
import Synchronization
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

/// The endings an application meets at the worst moment. Each race is repeated, because a race
/// that is lost one time in fifty is still a crash in production.
@Suite(.timeLimit(.minutes(3))) struct ShutdownRaceTests {
    // MARK: close() while a consumer iterates

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

    // MARK: Many enders at once

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

    // MARK: Cutting a connection under senders

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

    // MARK: Dropping the last reference

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

    // MARK: Destroying the event loop

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

    // MARK: Every public API after shutdown()

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

    // MARK: Callbacks after close()

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
    /// connection: the statistics stop and `onMessage` gets only what was counted. (Before the
    /// fix, hundreds more arrived while the abort made its way to the loop.)
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
            // The one message the loop may have been handing over while forceClose() ran can
            // still land; nothing read after it does.
            let final = manager.stats.messagesReceived
            #expect(final - received <= 1, "round \(round): \(final - received) after forceClose()")
            #expect(await waitUntil { recorder.count(of: "message") == final }, "round \(round)")
        }
    }
}

// MARK: Helpers

/// Iterates `stream` to its end, counting messages; logs once to `started` at the first one.
private func consume(_ stream: WebSocketMessageStream, started: EventLog<Int>? = nil) async -> (
    count: Int, error: (any Error)?
) {
    var count = 0
    do {
        for try await _ in stream {
            count += 1
            if count == 1 { started?.append(1) }
        }
        return (count, nil)
    } catch {
        return (count, error)
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

/// Callbacks as they happen, split at the moment `close()` returned.
private final class CallbackRecorder: Sendable {
    private struct State {
        var events: [String] = []
        var messages = 0
        var returned = false
        var late: [String] = []
    }
    private let state = Mutex(State())

    func record(_ event: String) {
        state.withLock { state in
            if state.returned { state.late.append(event) }
            if event == "message" { state.messages += 1 } else { state.events.append(event) }
        }
    }

    /// Marks the return of `close()`; what was recorded until then.
    func closeReturned() -> (messages: Int, events: [String]) {
        state.withLock { state in
            state.returned = true
            return (state.messages, state.events)
        }
    }

    var late: [String] { state.withLock { $0.late } }

    func count(of event: String) -> Int {
        state.withLock { event == "message" ? $0.messages : $0.events.filter { $0 == event }.count }
    }
}

/// A flag the test opens once, read by a callback on another task.
private final class Gate: Sendable {
    private let flag = Atomic<Bool>(false)
    var isOpen: Bool { flag.load(ordering: .acquiring) }
    func open() { flag.store(true, ordering: .releasing) }
}
