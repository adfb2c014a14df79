// swift-metrics reporting, read back through MetricsTestKit's TestMetrics backend.
import MetricsTestKit
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite struct MetricsTests {
    /// The two dimensions every metric of a manager on the embedded server carries.
    static func dimensions(_ label: String) -> [(String, String)] { [("host", "127.0.0.1"), ("label", label)] }

    static func name(_ suffix: String) -> String { "kstlib_websocket_" + suffix }

    @Test func messagesBytesConnectsAndTheCloseAreCounted() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let metrics = TestMetrics()
        let config = testConfiguration { $0.metrics = .init(label: "echo", factory: metrics) }
        let manager = WebSocketManager(url: server.url("/echo"), configuration: config)
        try await manager.connect()
        for text in ["a", "bb", "ccc"] { try await manager.send(text) }
        for _ in 0..<3 { _ = try await manager.receive(timeout: .seconds(10)) }
        await manager.close()

        let dims = Self.dimensions("echo")
        #expect(try metrics.expectCounter(Self.name("messages_sent_total"), dims).totalValue == 3)
        #expect(try metrics.expectCounter(Self.name("bytes_sent_total"), dims).totalValue == 6)
        #expect(try metrics.expectCounter(Self.name("messages_received_total"), dims).totalValue == 3)
        #expect(try metrics.expectCounter(Self.name("bytes_received_total"), dims).totalValue == 6)
        #expect(try metrics.expectCounter(Self.name("connects_total"), dims).totalValue == 1)
        let closes = dims + [("kind", "proactive"), ("reason", "userRequested")]
        #expect(try metrics.expectCounter(Self.name("disconnects_total"), closes).totalValue == 1)
        #expect(try metrics.expectGauge(Self.name("queue_depth"), dims).lastValue == 0)
        // A value per send (and per drain): the bytes then waiting, never more than were sent.
        let waiting = try metrics.expectGauge(Self.name("bytes_waiting"), dims).values
        #expect(waiting.count >= 3 && waiting.allSatisfy { (0...6).contains($0) }, "\(waiting)")
        let connectTimes = try metrics.expectTimer(Self.name("connect_seconds"), dims).values
        #expect(connectTimes.count == 1 && connectTimes[0] > 0)
        #expect(try metrics.expectCounter(Self.name("reconnect_attempts_total"), dims).totalValue == 0)
    }

    @Test func aDropIsAReactiveDisconnectFollowedByReconnectAttempts() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let metrics = TestMetrics()
        let events = EventLog<ManagerEvent>()
        let config = testConfiguration {
            $0.metrics = .init(label: "feed", factory: metrics)
            $0.autoReconnect = true
            $0.reconnectStrategy = .immediate
            $0.record(into: events)
        }
        let manager = WebSocketManager(url: server.url("/echo"), configuration: config)
        try await manager.connect()
        #expect(await events.wait(count: 1), "the first onConnect")
        server.dropAllConnections()
        #expect(await events.wait(count: 3), "onDisconnect, then onConnect after the reconnect")
        await manager.close()

        let dims = Self.dimensions("feed")
        let drops = dims + [("kind", "reactive"), ("reason", "networkError")]
        #expect(try metrics.expectCounter(Self.name("disconnects_total"), drops).totalValue == 1)
        #expect(try metrics.expectCounter(Self.name("reconnect_attempts_total"), dims).totalValue == 1)
        #expect(try metrics.expectCounter(Self.name("connects_total"), dims).totalValue == 2)
        #expect(try metrics.expectTimer(Self.name("connect_seconds"), dims).values.count == 2)
    }

    @Test func droppedMessagesAndTheQueueDepthAreReported() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let metrics = TestMetrics()
        let alerts = EventLog<ManagerEvent>()
        let config = testConfiguration {
            $0.metrics = .init(label: "ticker", factory: metrics)
            $0.queueSize = 10
            $0.queueOverflowPolicy = .dropNewest
            $0.record(into: alerts)
        }
        let manager = WebSocketManager(url: server.url("/ticker?rate=0&count=30"), configuration: config)
        try await manager.connect()
        #expect(await alerts.wait(count: 21, timeout: .seconds(30)), "onConnect and 20 messageDropped alerts")
        let dims = Self.dimensions("ticker")
        #expect(try metrics.expectCounter(Self.name("messages_dropped_total"), dims).totalValue == 20)
        #expect(try metrics.expectCounter(Self.name("messages_received_total"), dims).totalValue == 30)
        let depth = try metrics.expectGauge(Self.name("queue_depth"), dims)
        #expect(depth.values.max() == 10, "the queue filled up to its size")
        // The loop thread may still record a last 10 after this: look for the 9, not at the end.
        _ = try await manager.receive(timeout: .seconds(10))
        #expect(depth.values.contains(9), "taking one message leaves 9")
        await manager.close()
    }

    @Test func keepaliveRoundTripsAreTimed() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let metrics = TestMetrics()
        let config = testConfiguration {
            $0.metrics = .init(label: "keepalive", factory: metrics)
            $0.pingInterval = .milliseconds(50)
            $0.pingTimeout = .milliseconds(500)
        }
        let manager = WebSocketManager(url: server.url("/echo"), configuration: config)
        try await manager.connect()
        #expect(await waitUntil { manager.stats.lastRoundTripTime != nil }, "a pong within 10 s")
        let roundTrips = try metrics.expectTimer(Self.name("round_trip_seconds"), Self.dimensions("keepalive")).values
        #expect(!roundTrips.isEmpty && roundTrips.allSatisfy { $0 > 0 })
        await manager.close()
    }
}
