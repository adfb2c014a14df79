// Keepalive: a ping every interval, a distinct timeout when no pong comes back.
import Foundation
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite(.timeLimit(.minutes(3))) struct KeepaliveTests {
    /// A server that upgrades and then reads (and counts) frames without ever answering.
    func silentServer() throws -> RawWebSocketServer {
        try RawWebSocketServer { peer in
            let request = try peer.readRequest()
            try peer.acceptUpgrade(request)
            var pings = 0
            while let frame = try? peer.readFrame(timeout: .seconds(5)) {
                if frame.opcode == RawOpcode.ping { pings += 1 }
            }
            peer.record("pings \(pings)")
        }
    }

    @Test func noPongWithinTheTimeoutEndsTheStreamWithAPingTimeout() async throws {
        let server = try silentServer()
        defer { server.stop() }
        let config = testConfiguration {
            $0.pingInterval = .milliseconds(100)
            $0.pingTimeout = .milliseconds(200)
        }
        let manager = WebSocketManager(url: server.url("/"), configuration: config)
        try await manager.connect()
        let (_, error) = await drain(manager)
        let timeout = try #require(error as? WebSocketTimeoutError, "\(String(describing: error))")
        #expect(timeout.operation == .ping)
        #expect(timeout.timeout == .milliseconds(200))
        #expect(manager.state == .disconnected)
        #expect(server.waitForScripts(count: 1, timeout: .seconds(10)))
        #expect(server.scriptRecords == ["pings 1"])
    }

    @Test func aPingTimeoutIsReactiveAndReconnects() async throws {
        let server = try silentServer()
        defer { server.stop() }
        let reasons = CallLog<DisconnectReason>()
        let config = testConfiguration {
            $0.pingInterval = .milliseconds(100)
            $0.pingTimeout = .milliseconds(200)
            $0.autoReconnect = true
            $0.reconnectStrategy = .immediate
            $0.onDisconnect = { reasons.append($0) }
        }
        let manager = WebSocketManager(url: server.url("/"), configuration: config)
        try await manager.connect()
        let reconnected = await waitUntil { manager.stats.reconnects >= 1 }
        #expect(reconnected)
        #expect(manager.stats.reactiveDisconnects >= 1)
        await manager.close()
        #expect(await waitUntil { reasons.count >= 1 })
        #expect(reasons.all.first == .pingTimeout)
    }

    @Test func pongsKeepTheConnectionAliveAndMeasureTheRoundTrip() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let config = testConfiguration {
            $0.pingInterval = .milliseconds(50)
            $0.pingTimeout = .milliseconds(500)
        }
        let manager = WebSocketManager(url: server.url("/echo"), configuration: config)
        try await manager.connect()
        let measured = await waitUntil { manager.stats.lastRoundTripTime != nil }
        #expect(measured)
        let roundTrip = try #require(manager.stats.lastRoundTripTime)
        #expect(roundTrip > .zero)
        // Several intervals later the connection is still up: every ping got its pong.
        try await manager.send("still here")
        #expect(try await manager.receive(timeout: .seconds(5)) == .text("still here"))
        #expect(manager.isConnected)
        await manager.close()
    }

    /// Backpressure stops reading, so pongs wait unread behind the queued messages: that must not
    /// count as a dead network (found by the fault-injection tests: a full queue of 1 ended a
    /// healthy connection with `.pingTimeout` after half a second).
    @Test func aPausedConsumerIsNotAPingTimeout() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let reasons = CallLog<DisconnectReason>()
        let config = testConfiguration {
            $0.pingInterval = .milliseconds(100)
            $0.pingTimeout = .milliseconds(200)
            $0.queueSize = 1
            $0.queueOverflowPolicy = .backpressure
            $0.onDisconnect = { reasons.append($0) }
        }
        let manager = WebSocketManager(url: server.url("/ticker?rate=100"), configuration: config)
        try await manager.connect()
        // A second client, reading freely, is the clock: 100 ticks take about ten ping timeouts.
        let observer = WebSocketManager(url: server.url("/ticker?rate=100"), configuration: testConfiguration())
        try await observer.connect()
        for _ in 0..<100 { _ = try await observer.receive(timeout: .seconds(10)) }
        await observer.close()
        #expect(manager.isConnected)
        #expect(reasons.all.isEmpty)
        // Catching up works, and the keepalive runs again once reading resumes.
        var consumed = 0
        while manager.stats.lastRoundTripTime == nil && consumed < 1000 {
            _ = try await manager.receive(timeout: .seconds(10))
            consumed += 1
        }
        #expect(manager.stats.lastRoundTripTime != nil, "no round trip measured over \(consumed) messages")
        #expect(manager.isConnected)
        await manager.close()
        #expect(reasons.all == [.userRequested])
    }
}
