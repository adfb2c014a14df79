// Subscriptions: what goes on the wire, and that the set is re-sent after every reconnect.
import Foundation
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

/// Reads messages until one satisfies `predicate` (skipping ticker quotes and the like).
func nextMessage(
    from manager: WebSocketManager, within limit: Duration = .seconds(30),
    where predicate: (WebSocketMessage) -> Bool
) async throws -> WebSocketMessage {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        let message = try await manager.receive(timeout: deadline - ContinuousClock.now)
        if predicate(message) { return message }
    }
    throw TestTimeout(limit: limit)
}

/// A `/ticker` acknowledgement in the kstlib dialect: `{"type":"subscribed","channel":"A"}`.
struct Ack: Equatable, CustomStringConvertible {
    let type: String
    let channel: String

    static func subscribed(_ channel: String) -> Ack { Ack(type: "subscribed", channel: channel) }
    static func unsubscribed(_ channel: String) -> Ack { Ack(type: "unsubscribed", channel: channel) }

    init(type: String, channel: String) {
        self.type = type
        self.channel = channel
    }

    init?(_ message: WebSocketMessage) {
        guard let fields = jsonFields(message), fields["seq"] == nil,
            let type = fields["type"] as? String, let channel = fields["channel"] as? String
        else { return nil }
        self.init(type: type, channel: channel)
    }

    var description: String { "\(type) \(channel)" }
}

/// The next `count` acknowledgements, quotes skipped.
func nextAcks(_ count: Int, from manager: WebSocketManager) async throws -> [Ack] {
    var acks: [Ack] = []
    while acks.count < count {
        let message = try await nextMessage(from: manager) { Ack($0) != nil }
        acks.append(try #require(Ack(message)))
    }
    return acks
}

/// A `/ticker` reply in the Binance dialect: `{"result":null,"id":N}`; the id.
func binanceReplyID(_ message: WebSocketMessage) -> Int? {
    guard let fields = jsonFields(message), fields.keys.sorted() == ["id", "result"], fields["result"] is NSNull else {
        return nil
    }
    return fields["id"] as? Int
}

/// Whether `message` is the JSON object `expected` (key order and spacing aside).
func isJSON(_ message: WebSocketMessage, _ expected: [String: Any]) -> Bool {
    guard let fields = jsonFields(message) else { return false }
    return NSDictionary(dictionary: fields).isEqual(to: expected)
}

@Suite(.timeLimit(.minutes(3))) struct SubscriptionTests {
    private func reconnectingTicker(
        _ server: EmbeddedWebSocketServer, log: EventLog<ManagerEvent>,
        _ adjust: (inout WebSocketConfiguration) -> Void = { _ in }
    ) -> WebSocketManager {
        let config = testConfiguration {
            $0.autoReconnect = true
            $0.reconnectStrategy = .immediate
            $0.record(into: log)
            adjust(&$0)
        }
        return WebSocketManager(url: server.url("/ticker?rate=20"), configuration: config)
    }

    @Test func subscriptionsAreAcknowledgedAndResentAfterEveryReconnect() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let log = EventLog<ManagerEvent>()
        let manager = reconnectingTicker(server, log: log)
        try await manager.connect()

        try await manager.subscribe("A", "B")
        #expect(manager.subscriptions == ["A", "B"])
        #expect(try await nextAcks(2, from: manager) == [.subscribed("A"), .subscribed("B")])
        // Already subscribed: nothing is added and nothing is sent.
        try await manager.subscribe("A")
        #expect(manager.subscriptions == ["A", "B"])

        server.dropAllConnections()
        #expect(await log.wait(count: 3))
        #expect(log.events == [.connect, .disconnect(.networkError), .connect])
        #expect(try await nextAcks(2, from: manager) == [.subscribed("A"), .subscribed("B")])
        #expect(await waitUntil { server.totalConnections == 2 })

        try await manager.unsubscribe("A")
        #expect(manager.subscriptions == ["B"])
        #expect(try await nextAcks(1, from: manager) == [.unsubscribed("A")])

        server.dropAllConnections()
        #expect(await log.wait(count: 5))
        #expect(log.events == [.connect, .disconnect(.networkError), .connect, .disconnect(.networkError), .connect])
        // onConnect runs after the re-subscription went out, so C is requested after it: on
        // one connection, the acks arrive in request order, and A must not be among them.
        try await manager.subscribe("C")
        #expect(manager.subscriptions == ["B", "C"])
        #expect(try await nextAcks(2, from: manager) == [.subscribed("B"), .subscribed("C")])
        #expect(await waitUntil { server.totalConnections == 3 })
        await manager.close()
    }

    @Test func channelsSubscribedBeforeConnectingAreSentOnConnect() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/ticker?rate=20"), configuration: testConfiguration())
        try await manager.subscribe("X", "Y")
        #expect(manager.subscriptions == ["X", "Y"])
        #expect(manager.stats.messagesSent == 0)
        try await manager.connect()
        #expect(try await nextAcks(2, from: manager) == [.subscribed("X"), .subscribed("Y")])
        #expect(manager.stats.messagesSent == 2)
        await manager.close()
    }

    @Test func kstlibWireFormat() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/echo"), configuration: testConfiguration())
        try await manager.connect()

        try await manager.subscribe("A", "B")
        let first = try await manager.receive(timeout: .seconds(30))
        let second = try await manager.receive(timeout: .seconds(30))
        #expect(isJSON(first, ["type": "subscribe", "channel": "A"]), "\(first)")
        #expect(isJSON(second, ["type": "subscribe", "channel": "B"]), "\(second)")

        try await manager.unsubscribe("A")
        let third = try await manager.receive(timeout: .seconds(30))
        #expect(isJSON(third, ["type": "unsubscribe", "channel": "A"]), "\(third)")

        // Not subscribed (any more): nothing goes out, so the marker is the next echo.
        try await manager.unsubscribe("A", "Z")
        try await manager.send("marker")
        #expect(try await manager.receive(timeout: .seconds(30)) == .text("marker"))
        #expect(manager.subscriptions == ["B"])
        await manager.close()
    }

    @Test func binanceWireFormat() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let config = testConfiguration { $0.subscriptionFormat = .binance }
        let manager = WebSocketManager(url: server.url("/echo"), configuration: config)
        try await manager.connect()

        try await manager.subscribe("A", "B")
        let subscribe = try #require(jsonFields(try await manager.receive(timeout: .seconds(30))))
        #expect(subscribe.keys.sorted() == ["id", "method", "params"])
        #expect(subscribe["method"] as? String == "SUBSCRIBE")
        #expect(subscribe["params"] as? [String] == ["A", "B"])
        let firstID = try #require(subscribe["id"] as? Int)

        try await manager.unsubscribe("A")
        let unsubscribe = try #require(jsonFields(try await manager.receive(timeout: .seconds(30))))
        #expect(unsubscribe["method"] as? String == "UNSUBSCRIBE")
        #expect(unsubscribe["params"] as? [String] == ["A"])
        let secondID = try #require(unsubscribe["id"] as? Int)

        try await manager.subscribe("C")
        let again = try #require(jsonFields(try await manager.receive(timeout: .seconds(30))))
        #expect(again["method"] as? String == "SUBSCRIBE")
        #expect(again["params"] as? [String] == ["C"])
        let thirdID = try #require(again["id"] as? Int)

        // Ids tell requests apart: positive and increasing.
        #expect(firstID >= 1)
        #expect(firstID < secondID && secondID < thirdID, "\(firstID) \(secondID) \(thirdID)")
        // One message per request: the marker comes next.
        try await manager.send("marker")
        #expect(try await manager.receive(timeout: .seconds(30)) == .text("marker"))
        await manager.close()
    }

    @Test func binanceRepliesAndResubscriptionAfterReconnect() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let log = EventLog<ManagerEvent>()
        let manager = reconnectingTicker(server, log: log) { $0.subscriptionFormat = .binance }
        try await manager.connect()

        try await manager.subscribe("A", "B")
        let firstID = try #require(binanceReplyID(try await nextMessage(from: manager) { binanceReplyID($0) != nil }))

        server.dropAllConnections()
        #expect(await log.wait(count: 3))
        #expect(log.events == [.connect, .disconnect(.networkError), .connect])
        let resentID = try #require(binanceReplyID(try await nextMessage(from: manager) { binanceReplyID($0) != nil }))
        #expect(resentID > firstID)
        // The server took both channels again: its quotes name them round robin.
        var channels: [String] = []
        while channels.count < 2 {
            let quote = try await nextMessage(from: manager) { jsonFields($0)?["channel"] is String }
            channels.append(try #require(jsonFields(quote)?["channel"] as? String))
        }
        #expect(Set(channels) == ["A", "B"])
        await manager.close()
    }
}
