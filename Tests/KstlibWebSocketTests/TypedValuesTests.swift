// Typed values where a program branches: alerts, timeout operations, option types, one iterator.
import Foundation
import HTTPTypes
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite struct TypedValuesTests {
    /// What a test keeps of an alert.
    struct SeenAlert: Sendable, Equatable {
        let kind: WebSocketAlert.Kind
        let channel: String
        let droppedCount: Int?
        let url: String
        let context: [String: String]
    }

    @Test func aDroppedMessageRaisesATypedAlert() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let url = server.url("/ticker?rate=0&count=30")
        let alerts = EventLog<SeenAlert>()
        let config = testConfiguration {
            $0.queueSize = 10
            $0.queueOverflowPolicy = .dropNewest
            $0.onAlert = {
                alerts.append(
                    SeenAlert(
                        kind: $0.kind, channel: $0.channel, droppedCount: $0.droppedCount, url: $0.url,
                        context: $0.context))
            }
        }
        let manager = WebSocketManager(url: url, configuration: config)
        try await manager.connect()
        #expect(await alerts.wait(count: 20, timeout: .seconds(30)), "20 messageDropped alerts")
        let last = try #require(alerts.events.last)
        #expect(
            last
                == SeenAlert(
                    kind: .messageDropped, channel: "queue", droppedCount: 20, url: url,
                    context: ["url": url, "dropped": "20"]))
        await manager.close()
    }

    @Test func alertsPrintTheirKindAndFacts() {
        struct Refused: Error, CustomStringConvertible { var description: String { "refused" } }
        let alert = WebSocketAlert(
            kind: .rotationFallback, message: "fell back", url: "ws://h/", underlyingError: Refused())
        #expect(alert.channel == "rotation")
        #expect(alert.context == ["url": "ws://h/", "error": "refused"])
        #expect(alert.description == "rotationFallback: fell back (error=refused)")
        #expect(WebSocketAlert.Kind.rotationForcedSwitch.description == "rotationForcedSwitch")
    }

    @Test func timeoutOperationsPrintTheSeedsWords() {
        let operations: [WebSocketTimeoutError.Operation] = [.connect, .ping, .receive]
        #expect(operations.map(\.description) == ["connect", "ping", "receive"])
        let error = WebSocketTimeoutError("late", operation: .connect, timeout: .seconds(2))
        #expect(error.description == "WebSocketTimeoutError: late (operation=connect, timeout=2.0 seconds)")
    }

    @Test func reconnectDecisionsAreValuesWithADelay() {
        let yes: ReconnectDecision = true
        let no: ReconnectDecision = false
        #expect(yes == .now && no == .notYet)
        #expect(ReconnectDecision.now.delay == .zero)
        #expect(ReconnectDecision.after(.seconds(3)).delay == .seconds(3))
        #expect(ReconnectDecision.notYet.delay == nil)
        #expect(
            [ReconnectDecision.now, .after(.seconds(3)), .notYet].map(\.description) == [
                "now", "after(3.0 seconds)", "notYet",
            ])
    }

    @Test func queuePoliciesKeepTheirNames() {
        #expect(QueueOverflowPolicy.allCases == [.backpressure, .dropNewest, .dropOldest, .fail])
        #expect(QueueOverflowPolicy.allCases.map(\.rawValue) == ["backpressure", "dropNewest", "dropOldest", "fail"])
        #expect(QueueOverflowPolicy(rawValue: "dropOldest") == .dropOldest)
        #expect(QueueOverflowPolicy(rawValue: "drop_oldest") == nil)
    }

    @Test func proxyConfigurationsCompareAndPrint() {
        #expect(ProxyConfiguration.http(host: "p", port: 3128) == .http(host: "p", port: 3128))
        #expect(ProxyConfiguration.http(host: "p", port: 3128) != .environment)
        #expect(
            [ProxyConfiguration.none, .environment, .http(host: "p", port: 3128)].map(\.description) == [
                "none", "environment", "http(p:3128)",
            ])
    }

    @Test func canConnectOnlyWhenDisconnected() {
        #expect(ConnectionState.allCases.filter(\.canConnect) == [.disconnected])
    }

    // MARK: Sending a message as it came

    @Test func anEchoLoopSendsMessagesBackWithoutASwitch() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/echo"), configuration: testConfiguration())
        try await manager.connect()
        let sent: [WebSocketMessage] = [.text("hello"), .binary([0, 1, 254, 255])]
        for message in sent { try await manager.send(message) }
        var received: [WebSocketMessage] = []
        for _ in sent { received.append(try await manager.receive(timeout: .seconds(10))) }
        #expect(received == sent)
        #expect(manager.stats.messagesSent == 2 && manager.stats.bytesSent == 9)
        await manager.close()
    }

    // MARK: One iterator at a time

    @Test func aSecondIteratorThrowsStreamInUse() async throws {
        let manager = WebSocketManager(url: "ws://127.0.0.1:9/feed", configuration: testConfiguration())
        var first = manager.stream().makeAsyncIterator()
        var second = manager.stream().makeAsyncIterator()
        let error = try await #require(throws: WebSocketStreamInUseError.self) { _ = try await second.next() }
        #expect(error == WebSocketStreamInUseError(url: "ws://127.0.0.1:9/feed"))
        #expect(error.message == "the stream already has an iterator: read it from one place")
        #expect(
            error.description
                == "WebSocketStreamInUseError: the stream already has an iterator: read it from one place "
                + "(url=ws://127.0.0.1:9/feed)")
        await manager.close()
        #expect(try await first.next() == nil, "the first iterator is unaffected and sees the end")
    }

    @Test func aNewIteratorMayStartOnceTheFirstIsGone() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/echo"), configuration: testConfiguration())
        try await manager.connect()
        for text in ["one", "two"] {
            try await manager.send(text)
            for try await message in manager.stream() {
                #expect(message == .text(text))
                break
            }
        }
        await manager.close()
    }

    // MARK: Statistics

    @Test func resetStatsStartsFromZero() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/echo"), configuration: testConfiguration())
        try await manager.connect()
        try await manager.send("x")
        _ = try await manager.receive(timeout: .seconds(10))
        let before = manager.stats
        #expect(before.messagesReceived == 1 && before.connects == 1)
        manager.resetStats()
        let after = manager.stats
        #expect(after.messagesReceived == 0 && after.messagesSent == 0 && after.connects == 0)
        #expect(after.startTime >= before.startTime)
        await manager.close()
    }
}

@Suite struct SubscriptionActionTests {
    @Test func formatsAreToldTheActionNotABool() {
        let format = SubscriptionFormat(requests: { action, channels, id in channels.map { "\(action) \($0) #\(id)" } })
        #expect(
            format.messages(for: .subscribe, channels: ["a", "b"], requestID: 3) == [
                "subscribe a #3", "subscribe b #3",
            ])
        #expect(format.messages(for: .unsubscribe, channels: ["a"], requestID: 4) == ["unsubscribe a #4"])
        #expect(
            SubscriptionFormat.binance.messages(for: .unsubscribe, channels: ["x"], requestID: 1)
                == [#"{"method":"UNSUBSCRIBE","params":["x"],"id":1}"#])
    }
}
