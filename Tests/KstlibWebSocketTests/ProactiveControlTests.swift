// Proactive control: the application decides when a connection is cut and when it comes back.
import Foundation
import Synchronization
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

/// Counts calls and records values from callbacks.
final class CallLog<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func append(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
    var count: Int { all.count }
}

/// Fast proactive settings: check intervals in milliseconds (code is not clamped; files are).
func proactiveConfiguration(_ adjust: (inout WebSocketConfiguration) -> Void = { _ in }) -> WebSocketConfiguration {
    testConfiguration {
        $0.disconnectCheckInterval = .milliseconds(20)
        $0.reconnectCheckInterval = .milliseconds(20)
        adjust(&$0)
    }
}

@Suite(.timeLimit(.minutes(3))) struct ProactiveControlTests {
    @Test func requestDisconnectWithDelayReconnectsAndTheStreamCarriesOn() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let reasons = CallLog<DisconnectReason>()
        let config = proactiveConfiguration { $0.onDisconnect = { reasons.append($0) } }
        let manager = WebSocketManager(url: server.url("/ticker?rate=200"), configuration: config)
        try await manager.connect()
        _ = try await manager.receive(timeout: .seconds(5))
        await manager.requestDisconnect(reconnectAfter: .milliseconds(50), reason: .scheduled)
        #expect(manager.state == .disconnected || manager.state == .reconnecting || manager.state == .connected)
        #expect(await manager.waitConnected(timeout: .seconds(5)))
        // The stream was not ended by the proactive disconnect.
        _ = try await manager.receive(timeout: .seconds(5))
        let stats = manager.stats
        #expect(stats.proactiveDisconnects == 1)
        #expect(stats.reactiveDisconnects == 0)
        #expect(stats.connects == 2)
        #expect(await waitUntil { server.totalConnections == 2 })
        await manager.close()
        // Callbacks run in order on their own queue, after the state change.
        #expect(await waitUntil { reasons.count == 2 })
        #expect(reasons.all == [.scheduled, .userRequested])
    }

    @Test func withoutAPlanTheManagerWaitsForTheApplication() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/ticker?rate=200"), configuration: proactiveConfiguration())
        try await manager.connect()
        await manager.requestDisconnect()
        #expect(manager.state == .disconnected)
        #expect(!manager.isShutdown)
        // Nothing reconnects on its own after a proactive disconnect...
        #expect(await manager.waitConnected(timeout: .milliseconds(200)) == false)
        // ...until the application says so; the same stream goes on.
        let stream = manager.stream()
        try await manager.connect()
        var iterator = stream.makeAsyncIterator()
        #expect(try await iterator.next() != nil)
        await manager.close()
    }

    @Test func shouldDisconnectAndShouldReconnectDriveTheCycle() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let disconnectAsks = CallLog<Bool>()
        let reconnectAsks = CallLog<ReconnectDecision>()
        let reasons = CallLog<DisconnectReason>()
        let config = proactiveConfiguration {
            $0.shouldDisconnect = {
                let answer = disconnectAsks.count == 2 // the third time it is asked
                disconnectAsks.append(answer)
                return answer
            }
            $0.shouldReconnect = {
                let answer: ReconnectDecision = reconnectAsks.count < 2 ? .notYet : .now
                reconnectAsks.append(answer)
                return answer
            }
            $0.onDisconnect = { reasons.append($0) }
        }
        let manager = WebSocketManager(url: server.url("/ticker?rate=100"), configuration: config)
        try await manager.connect()
        #expect(await manager.waitDisconnected(timeout: .seconds(5)))
        #expect(await manager.waitConnected(timeout: .seconds(5)))
        #expect(Array(disconnectAsks.all.prefix(3)) == [false, false, true])
        #expect(reconnectAsks.all == [.notYet, .notYet, .now])
        #expect(manager.stats.proactiveDisconnects == 1)
        #expect(await waitUntil { reasons.count >= 1 })
        #expect(reasons.all.first == .callbackTriggered)
        await manager.close()
    }

    @Test(arguments: [false, true])
    func connectionAgeLimitRotatesBeforeTheLimit(gapless: Bool) async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let reasons = CallLog<DisconnectReason>()
        let config = proactiveConfiguration {
            $0.maxConnectionAge = .milliseconds(300)
            $0.disconnectMargin = .milliseconds(200)
            $0.gaplessRotation = gapless
            $0.onDisconnect = { reasons.append($0) }
        }
        // /feed numbers messages across connections, so a gapless rotation finds its overlap.
        let manager = WebSocketManager(url: server.url("/feed?rate=500"), configuration: config)
        try await manager.connect()
        let rotated = await waitUntil { manager.stats.proactiveDisconnects >= 1 }
        #expect(rotated)
        #expect(await manager.waitConnected(timeout: .seconds(5)))
        await manager.close()
        #expect(await waitUntil { reasons.count >= 1 })
        #expect(reasons.all.first == .connectionLimit)
        if gapless { #expect(manager.stats.rotations >= 1) } else { #expect(manager.stats.rotations == 0) }
        #expect(manager.stats.reactiveDisconnects == 0)
    }

    @Test func reconnectWindowIsAskedUntilItOpens() async throws {
        let manager = WebSocketManager(url: "ws://127.0.0.1:9/", configuration: proactiveConfiguration())
        let asks = CallLog<Int>()
        let opened = await manager.waitForReconnectWindow(
            {
                asks.append(asks.count)
                return asks.count < 3 ? .notYet : .after(.milliseconds(10))
            }, timeout: .seconds(5))
        #expect(opened)
        #expect(asks.count == 3)
        let closed = await manager.waitForReconnectWindow({ .notYet }, timeout: .milliseconds(100))
        #expect(!closed)
    }

    @Test func scheduleReconnectWhileConnectedRotatesAfterTheDelay() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let reasons = CallLog<DisconnectReason>()
        let manager = WebSocketManager(
            url: server.url("/ticker?rate=100"),
            configuration: proactiveConfiguration { $0.onDisconnect = { reasons.append($0) } })
        try await manager.connect()
        await manager.scheduleReconnect(after: .milliseconds(30))
        #expect(await manager.waitConnected(timeout: .seconds(5)))
        #expect(manager.stats.connects == 2)
        await manager.close()
        #expect(await waitUntil { reasons.count >= 1 })
        #expect(reasons.all.first == .scheduled)
    }
}

@Suite(.timeLimit(.minutes(3))) struct GaplessRotationTests {
    struct Numbered: Decodable { let seq: Int }

    /// A user-supplied message key: the feed's sequence number.
    @Sendable static func sequenceKey(_ message: WebSocketMessage) -> String? {
        guard let numbered = try? message.decode(Numbered.self) else { return nil }
        return String(numbered.seq)
    }

    /// Streams a globally numbered feed, rotates under load, and checks every number arrives
    /// exactly once, in order.
    func rotateUnderLoad(messageKey: (@Sendable (WebSocketMessage) -> String?)?) async throws -> (
        seqs: [Int], stats: WebSocketStats, connections: Int
    ) {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let config = testConfiguration {
            $0.gaplessRotation = true
            $0.messageKey = messageKey
            $0.queueSize = 0
        }
        let manager = WebSocketManager(url: server.url("/feed?rate=5000"), configuration: config)
        try await manager.connect()
        var seqs: [Int] = []
        var rotation: Task<Void, Never>?
        for try await message in manager.stream() {
            seqs.append(try message.decode(Numbered.self).seq)
            if seqs.count == 1000 {
                rotation = Task { await manager.requestDisconnect(reconnectAfter: .zero, reason: .scheduled) }
            }
            if seqs.count >= 6000 { break }
        }
        await rotation?.value
        let connections = server.totalConnections
        await manager.close()
        return (seqs, manager.stats, connections)
    }

    @Test(arguments: [false, true])
    func rotationUnderLoadLosesAndDuplicatesNothing(customKey: Bool) async throws {
        let key: (@Sendable (WebSocketMessage) -> String?)? = customKey ? Self.sequenceKey : nil
        let result = try await within(.seconds(60)) { try await self.rotateUnderLoad(messageKey: key) }
        let (seqs, stats, connections) = (result.seqs, result.stats, result.connections)
        #expect(connections == 2)
        #expect(stats.rotations == 1)
        #expect(stats.proactiveDisconnects == 2) // the rotation and the final close()
        #expect(stats.reactiveDisconnects == 0)
        let first = try #require(seqs.first)
        let broken = zip(seqs, seqs.dropFirst()).first { $1 != $0 + 1 }
        #expect(broken == nil, "sequence breaks at \(String(describing: broken))")
        #expect(seqs == Array(first..<(first + seqs.count)))
    }
}
