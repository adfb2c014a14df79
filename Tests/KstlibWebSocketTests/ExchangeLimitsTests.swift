// The embedded server's exchange limits, over real sockets: a client that breaks one is closed
// with 1008 and the limit's reason, and the violation is recorded.
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite(.timeLimit(.minutes(3))) struct ExchangeLimitsTests {
    /// Connects a manager to `/topics`, runs `act`, and returns how its stream ended.
    func breakLimit(
        _ server: EmbeddedWebSocketServer, _ adjust: (inout WebSocketConfiguration) -> Void = { _ in },
        _ act: @escaping @Sendable (WebSocketManager) async throws -> Void
    ) async throws -> WebSocketClosedError {
        let manager = WebSocketManager(url: server.url("/topics"), configuration: testConfiguration(adjust))
        try await within { try await manager.connect() }
        try await act(manager)
        let (_, error) = await drain(manager)
        return try #require(error as? WebSocketClosedError, "the stream to end with the server's close")
    }

    @Test func tooManyStreamsOnOneConnection() async throws {
        let server = try EmbeddedWebSocketServer(limits: ExchangeLimits(maxStreamsPerConnection: 3))
        defer { server.stop() }
        let closed = try await breakLimit(server) { try await $0.subscribe(["a", "b", "c", "d"]) }
        #expect(closed.code == .policyViolation)
        #expect(closed.reason == "too many streams: over 3 per connection")
        #expect(server.limitViolations.map(\.limit) == [.streamsPerConnection])
        #expect(server.limitViolations.first?.reason == closed.reason)
        #expect(server.limitViolations.first?.address == "127.0.0.1")
    }

    @Test func tooManyMessagesInOneSecond() async throws {
        let server = try EmbeddedWebSocketServer(limits: ExchangeLimits(maxIncomingMessagesPerSecond: 2))
        defer { server.stop() }
        let closed = try await breakLimit(server) { manager in
            for text in ["1", "2", "3"] { try await manager.send(text) }
        }
        #expect(closed.code == .policyViolation)
        #expect(closed.reason == "too many requests: over 2 per second")
        #expect(server.limitViolations.map(\.limit) == [.messagesPerSecond])
    }

    @Test func tooManyTopicsInOneRequest() async throws {
        let server = try EmbeddedWebSocketServer(limits: ExchangeLimits(maxTopicsPerMessage: 2))
        defer { server.stop() }
        let closed = try await breakLimit(server, { $0.subscriptionFormat = .binance }) {
            try await $0.subscribe(["a", "b", "c"])
        }
        #expect(closed.code == .policyViolation)
        #expect(closed.reason == "too many topics in one request: over 2")
        #expect(server.limitViolations.map(\.limit) == [.topicsPerMessage])
    }

    @Test func tooManyNewConnectionsFromOneAddress() async throws {
        let server = try EmbeddedWebSocketServer(
            limits: ExchangeLimits(maxNewConnectionsPerWindow: 1, connectionWindow: .seconds(60)))
        defer { server.stop() }
        let first = WebSocketManager(url: server.url("/topics"), configuration: testConfiguration())
        try await within { try await first.connect() }
        let closed = try await breakLimit(server) { _ in }
        #expect(closed.code == .policyViolation)
        #expect(closed.reason == "too many new connections: over 1 per 60.0 seconds")
        #expect(server.limitViolations.map(\.limit) == [.newConnections])
        #expect(first.isConnected)
        await first.close()
    }

    @Test func withinTheLimitsNothingIsRecordedAndTopicsAreNumberedPerTopic() async throws {
        let server = try EmbeddedWebSocketServer(
            limits: ExchangeLimits(maxStreamsPerConnection: 2, maxIncomingMessagesPerSecond: 5, maxTopicsPerMessage: 2))
        defer { server.stop() }
        let manager = WebSocketManager(
            url: server.url("/topics?rate=50"), configuration: testConfiguration { $0.subscriptionFormat = .binance })
        try await within { try await manager.connect() }
        try await manager.subscribe(["x", "y"])
        var seen: [String: [Int]] = [:]
        while seen["x", default: []].count < 3 || seen["y", default: []].count < 3 {
            let message = try await within { try await manager.receive() }
            guard let fields = jsonFields(message), let topic = fields["topic"] as? String,
                let seq = fields["seq"] as? Int
            else { continue }
            seen[topic, default: []].append(seq)
        }
        #expect(seen["x"]?.prefix(3) == [1, 2, 3])
        #expect(seen["y"]?.prefix(3) == [1, 2, 3])
        #expect(server.limitViolations == [])
        #expect(server.subscribedTopics == ["x": 1, "y": 1])
        #expect(server.limitPeaks.topicsPerMessage == 2)
        await manager.close()
    }
}
