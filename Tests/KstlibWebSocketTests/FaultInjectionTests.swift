// Network faults between the manager and the embedded server, injected by FaultProxy: each one
// is detected, reported with its DisconnectReason, and recovered from without losing the stream.
import Foundation
import Synchronization
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite(.timeLimit(.minutes(3))) struct FaultInjectionTests {
    /// Auto-reconnect with a short fixed backoff, every callback recorded into `log`.
    private static func configuration(
        _ log: EventLog<ManagerEvent>, _ adjust: (inout WebSocketConfiguration) -> Void = { _ in }
    ) -> WebSocketConfiguration {
        testConfiguration {
            $0.autoReconnect = true
            $0.reconnectStrategy = .fixedDelay
            $0.reconnectDelay = .milliseconds(20)
            $0.maxReconnectAttempts = 50
            $0.connectionTimeout = .seconds(10)
            $0.record(into: log)
            adjust(&$0)
        }
    }

    /// The `seq` of the next `count` ticker quotes, acknowledgements skipped.
    private static func quotes(_ count: Int, from manager: WebSocketManager) async throws -> [Int] {
        var seqs: [Int] = []
        while seqs.count < count {
            let message = try await nextMessage(from: manager) { sequenceNumber($0) != nil }
            seqs.append(try #require(sequenceNumber(message)))
        }
        return seqs
    }

    /// Checks that the subscriptions were re-sent on the new connection and that its quotes flow:
    /// once the new connection's acknowledgements are read, every quote comes from it, and /ticker
    /// numbers each connection's quotes 1, 2, 3...
    private static func expectResubscribedAndStreaming(
        _ manager: WebSocketManager, channels: [String]
    ) async throws {
        #expect(try await nextAcks(channels.count, from: manager) == channels.map { Ack.subscribed($0) })
        let seqs = try await quotes(3, from: manager)
        #expect(seqs == Array(seqs[0]..<(seqs[0] + 3)), "\(seqs)")
    }

    private static func send(_ message: WebSocketMessage, on manager: WebSocketManager) async throws {
        switch message {
        case .text(let text): try await manager.send(text)
        case .binary(let bytes): try await manager.send(bytes)
        }
    }

    private static func expectOneReactiveReconnect(_ manager: WebSocketManager) {
        #expect(manager.state == .connected)
        #expect(manager.stateHistory == [.disconnected, .connecting, .connected, .reconnecting, .connected])
        let stats = manager.stats
        #expect(stats.connects == 2)
        #expect(stats.reconnects == 1)
        #expect(stats.disconnects == 1)
        #expect(stats.reactiveDisconnects == 1)
        #expect(stats.proactiveDisconnects == 0)
    }

    // MARK: Cut

    @Test(arguments: [FaultProxy.CutStyle.fin, .reset])
    func cutIsANetworkErrorThenReconnectsResubscribesAndStreams(style: FaultProxy.CutStyle) async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let proxy = try FaultProxy(targetPort: server.port)
        defer { proxy.stop() }
        let log = EventLog<ManagerEvent>()
        let manager = WebSocketManager(url: proxy.url("/ticker?rate=50"), configuration: Self.configuration(log))
        try await manager.connect()
        try await manager.subscribe("A", "B")
        #expect(try await nextAcks(2, from: manager) == [.subscribed("A"), .subscribed("B")])

        proxy.cut(style, .existing)
        #expect(await log.wait(count: 3))
        #expect(log.events == [.connect, .disconnect(.networkError), .connect])
        #expect(manager.lastClose == WebSocketClose(code: .abnormalClosure, reason: "", byServer: false))
        try await Self.expectResubscribedAndStreaming(manager, channels: ["A", "B"])
        Self.expectOneReactiveReconnect(manager)
        #expect(proxy.acceptedCount == 2)
        #expect(await waitUntil { server.totalConnections == 2 })
        // Both peers let go of the old connection: the proxy closed it, and only the new one is
        // open on the server.
        #expect(await proxy.waitForFinished(count: 1))
        #expect(await waitUntil { server.connectionCount == 1 })
        await manager.close()
    }

    // MARK: Black hole

    @Test func blackHoleIsAPingTimeoutThenReconnectsOnceHealed() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let proxy = try FaultProxy(targetPort: server.port)
        defer { proxy.stop() }
        let log = EventLog<ManagerEvent>()
        let config = Self.configuration(log) {
            $0.pingInterval = .milliseconds(200)
            $0.pingTimeout = .milliseconds(500)
            // Unbounded, so the socket is always read: a full queue pauses reading (backpressure),
            // and a pong that is not read also ends in a ping timeout, black hole or not.
            $0.queueSize = 0
        }
        let manager = WebSocketManager(url: proxy.url("/ticker?rate=50"), configuration: config)
        try await manager.connect()
        try await manager.subscribe("A")
        #expect(try await nextAcks(1, from: manager) == [.subscribed("A")])
        // Keepalive works through the healthy proxy: a pong came back.
        #expect(await waitUntil { manager.stats.lastRoundTripTime != nil })

        // Nothing gets through any more, not even a FIN: only the missing pong tells.
        proxy.blackHole(.all)
        #expect(await log.wait(count: 2, timeout: .seconds(10)))
        #expect(log.events == [.connect, .disconnect(.pingTimeout)])
        #expect(manager.lastClose == WebSocketClose(code: .abnormalClosure, reason: "", byServer: false))
        // The reconnect attempt reaches the proxy, but its upgrade request is swallowed too.
        #expect(await proxy.waitForAccepted(count: 2))
        #expect(manager.state == .reconnecting)
        #expect(manager.stats.connects == 1)
        #expect(log.events == [.connect, .disconnect(.pingTimeout)])

        // Once the path works again, the pending attempt completes.
        proxy.heal()
        #expect(await log.wait(count: 3))
        #expect(log.events == [.connect, .disconnect(.pingTimeout), .connect])
        try await Self.expectResubscribedAndStreaming(manager, channels: ["A"])
        Self.expectOneReactiveReconnect(manager)
        #expect(proxy.acceptedCount == 2)
        // The abandoned connection, released by heal(), ends: the client had already closed it.
        #expect(await proxy.waitForFinished(count: 1))
        #expect(await waitUntil { server.connectionCount == 1 })
        await manager.close()
    }

    // MARK: Delay

    @Test func delayedTrafficArrivesWholeAndInOrderWithoutADisconnect() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let proxy = try FaultProxy(targetPort: server.port)
        defer { proxy.stop() }
        let log = EventLog<ManagerEvent>()
        // Pings keep going through the delay: 100 ms there and back, well within the timeout.
        let config = Self.configuration(log) {
            $0.pingInterval = .milliseconds(100)
            $0.pingTimeout = .seconds(2)
        }
        let manager = WebSocketManager(url: proxy.url("/echo"), configuration: config)
        try await manager.connect()
        try await manager.send("before")
        #expect(try await manager.receive(timeout: .seconds(5)) == .text("before"))

        proxy.delay(.milliseconds(50), .existing)
        // The delay is really there: a keepalive round trip now takes at least 2 x 50 ms.
        #expect(await waitUntil { (manager.stats.lastRoundTripTime ?? .zero) >= .milliseconds(100) })
        let sent = (0..<200).map { WebSocketMessage.text("message \($0)") }
        for message in sent { try await Self.send(message, on: manager) }
        var received: [WebSocketMessage] = []
        while received.count < 100 { received.append(try await manager.receive(timeout: .seconds(5))) }
        // What is still held goes out at once, still in order.
        proxy.heal()
        while received.count < sent.count { received.append(try await manager.receive(timeout: .seconds(5))) }

        #expect(received == sent)
        #expect(manager.isConnected)
        #expect(manager.stats.disconnects == 0)
        #expect(manager.stats.messagesReceived == sent.count + 1)
        #expect(log.events == [.connect])
        #expect(proxy.acceptedCount == 1)
        await manager.close()
    }

    // MARK: Chop

    @Test(arguments: [true, false])
    func choppedStreamsStillCarryTheHandshakeAndExactMessages(compression: Bool) async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let proxy = try FaultProxy(targetPort: server.port)
        defer { proxy.stop() }
        // Every byte, the upgrade included, crosses the proxy as its own write.
        proxy.chop(.all)
        let log = EventLog<ManagerEvent>()
        let config = Self.configuration(log) { if !compression { $0.compression = .disabled } }
        let manager = WebSocketManager(url: proxy.url("/echo"), configuration: config)
        try await manager.connect()
        // The embedded server offers no compression on libwebsockets 4.5+ (see offersCompression).
        #expect(manager.isCompressed == (compression && EmbeddedWebSocketServer.offersCompression))

        var generator = SystemRandomNumberGenerator()
        let messages: [WebSocketMessage] = [
            .text("h\u{E9}llo w\u{F6}rld \u{2713} \u{1D11E}"), // 2-, 3- and 4-byte UTF-8 sequences, split
            .binary(Array(0...255)),
            .text(String(repeating: "kstlib ", count: 1500)), // 16-bit payload length
            .binary((0..<66_000).map { _ in UInt8.random(in: 0...255, using: &generator) }), // 64-bit length
            .text(""),
        ]
        for message in messages {
            try await Self.send(message, on: manager)
            #expect(try await manager.receive(timeout: .seconds(20)) == message)
        }
        #expect(proxy.writeCount == proxy.bytesForwarded)
        #expect(proxy.bytesForwarded > 2 * 66_000)
        #expect(manager.stats.disconnects == 0)
        #expect(log.events == [.connect])
        await manager.close()
    }

    // MARK: Half-close

    @Test func halfCloseTowardTheClientIsANetworkErrorThenRecovers() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let proxy = try FaultProxy(targetPort: server.port)
        defer { proxy.stop() }
        let log = EventLog<ManagerEvent>()
        let manager = WebSocketManager(url: proxy.url("/ticker?rate=50"), configuration: Self.configuration(log))
        try await manager.connect()
        try await manager.subscribe("A")
        #expect(try await nextAcks(1, from: manager) == [.subscribed("A")])

        // The client reads end of stream while its own direction still works.
        proxy.halfClose(.existing)
        #expect(await log.wait(count: 3))
        #expect(log.events == [.connect, .disconnect(.networkError), .connect])
        #expect(manager.lastClose == WebSocketClose(code: .abnormalClosure, reason: "", byServer: false))
        try await Self.expectResubscribedAndStreaming(manager, channels: ["A"])
        Self.expectOneReactiveReconnect(manager)
        // The client closed its side in turn, which the proxy passed on to the server.
        #expect(await proxy.waitForFinished(count: 1))
        #expect(await waitUntil { server.connectionCount == 1 })
        await manager.close()
    }

    // MARK: Numbering

    /// What the manager reported, in the order it reported it (one serial callback queue).
    private enum Reported: Sendable, Equatable {
        case message(Int)
        case disconnect(DisconnectReason)
    }

    /// Whether reconnecting is allowed yet.
    private final class Gate: Sendable {
        private let isOpen = Atomic<Bool>(false)
        func set(_ open: Bool) { isOpen.store(open, ordering: .sequentiallyConsistent) }
        var decision: ReconnectDecision { isOpen.load(ordering: .sequentiallyConsistent) ? .now : .notYet }
    }

    /// Streams the server-wide numbered /feed and cuts the connection three times. While the
    /// client is away, a second client keeps the feed running and the reconnect is held until
    /// the server produced five numbers the client cannot have seen, so every cut leaves a gap.
    @Test func cutsWhileStreamingDeliverNothingTwiceAndEveryGapFollowsADisconnect() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let proxy = try FaultProxy(targetPort: server.port)
        defer { proxy.stop() }
        // Direct, never cut: keeps the feed running (it sets the rate) while the client is away.
        let observer = WebSocketManager(
            url: server.url("/feed?rate=1000"), configuration: testConfiguration { $0.queueSize = 0 })
        try await observer.connect()

        let reported = EventLog<Reported>()
        let gate = Gate()
        let config = testConfiguration {
            $0.autoReconnect = true
            $0.reconnectStrategy = .callbackControlled
            $0.reconnectCheckInterval = .milliseconds(5)
            $0.shouldReconnect = { gate.decision }
            $0.queueSize = 0
            $0.onMessage = { reported.append(.message(sequenceNumber($0) ?? -1)) }
            $0.onDisconnect = { reported.append(.disconnect($0)) }
        }
        let manager = WebSocketManager(url: proxy.url("/feed"), configuration: config)
        try await manager.connect()

        /// Messages reported since the last disconnect.
        @Sendable func sinceLastDisconnect() -> Int {
            reported.events.reversed().prefix { if case .message = $0 { true } else { false } }.count
        }
        let cuts = 3
        var unseen: [ClosedRange<Int>] = []
        for cut in 1...cuts {
            #expect(await waitUntil { sinceLastDisconnect() >= 100 })
            gate.set(false)
            proxy.cut(.fin, .existing)
            #expect(await waitUntil { manager.stats.disconnects == cut })
            // The server has let go of the client's connection: what it produces from now on
            // reaches the observer only.
            #expect(await waitUntil { server.connectionCount == 1 })
            let left = server.feedSequence
            #expect(await waitUntil { server.feedSequence >= left + 5 })
            unseen.append((left + 1)...(left + 5))
            gate.set(true)
            #expect(await waitUntil { manager.stats.reconnects == cut })
        }
        #expect(await waitUntil { sinceLastDisconnect() >= 100 })
        await manager.close()
        let (streamed, error) = try await within { await drain(manager) }
        #expect(error == nil)
        #expect(await waitUntil { reported.events.last == .disconnect(.userRequested) })
        await observer.close()

        // Split what was reported at each disconnect: one run of messages per connection.
        var runs: [[Int]] = [[]]
        var reasons: [DisconnectReason] = []
        for entry in reported.events {
            switch entry {
            case .message(let seq): runs[runs.count - 1].append(seq)
            case .disconnect(let reason):
                reasons.append(reason)
                runs.append([])
            }
        }
        #expect(reasons == Array(repeating: .networkError, count: cuts) + [.userRequested])
        runs.removeLast() // after close(): empty
        #expect(runs.count == cuts + 1)
        let all = runs.flatMap { $0 }
        // The stream saw exactly what the callbacks saw.
        #expect(streamed.map { sequenceNumber($0) ?? -1 } == all)
        // Nothing twice, nothing out of order.
        #expect(zip(all, all.dropFirst()).allSatisfy { $0 < $1 })
        // No gap inside a connection's run...
        for run in runs {
            #expect(run.count >= 100)
            #expect(run == Array((run.first ?? 0)..<((run.first ?? 0) + run.count)), "gap inside a run")
        }
        // ...and at every disconnect, a gap that holds the numbers produced while away.
        let gaps = zip(all, all.dropFirst()).filter { $0 + 1 != $1 }.count
        #expect(gaps == cuts)
        for (index, missed) in unseen.enumerated() where index + 1 < runs.count {
            let (before, after) = (runs[index].last ?? 0, runs[index + 1].first ?? 0)
            #expect(before < missed.lowerBound && missed.upperBound < after, "\(before) \(missed) \(after)")
        }
        let stats = manager.stats
        #expect(stats.reconnects == cuts)
        #expect(stats.reactiveDisconnects == cuts)
        #expect(stats.disconnects == cuts + 1)
        #expect(stats.messagesReceived == all.count)
        #expect(proxy.acceptedCount == cuts + 1)
    }
}
