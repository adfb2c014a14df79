// Outgoing pacing over real sockets, timed by a clock the test moves: no window ever holds more
// messages than the rate allows (sends, subscriptions, and the re-subscriptions after a
// reconnect), order is kept, and a send that waits too long for its turn times out.
import Foundation
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite(.timeLimit(.minutes(2))) struct OutgoingRateTests {
    /// A manager on `path` whose rate and timeouts run on `clock`.
    func manager(
        _ server: EmbeddedWebSocketServer, _ path: String, clock: ManualClock,
        _ adjust: (inout WebSocketConfiguration) -> Void
    ) -> WebSocketManager {
        let config = testConfiguration {
            $0.sendTimeout = nil
            adjust(&$0)
        }
        return WebSocketManager(url: server.url(path), configuration: config, clock: clock)
    }

    /// The next message, bounded in real time (a `receive` timeout would run on the manual clock).
    func next(_ manager: WebSocketManager) async throws -> WebSocketMessage {
        try await within { try await manager.receive() }
    }

    /// The next `/ticker` acknowledgement, quotes skipped.
    func nextAck(_ manager: WebSocketManager) async throws -> Ack {
        while true {
            if let ack = Ack(try await next(manager)) { return ack }
        }
    }

    /// Waits until the queue is held back by the rate (its wake-up sleeps on the clock) and
    /// checks that the pacer let exactly `granted` messages through so far.
    func expectHeld(_ manager: WebSocketManager, clock: ManualClock, granted: Int) async {
        #expect(await clock.waitForSleeps(1), "the queue to wait for the rate")
        #expect(manager.pacer?.granted == granted)
    }

    @Test func sendsAreSpreadOverWindowsInOrderAndTheWaitIsCounted() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let clock = ManualClock()
        let manager = manager(server, "/echo", clock: clock) { $0.outgoingRate = .init(messages: 3, per: .seconds(1)) }
        try await within { try await manager.connect() }

        let count = 10
        let producer = Task {
            for index in 0..<count { try await manager.send("\(index)") }
        }
        // Time stands still between advances: what the server echoes in one stretch is what
        // one window let through.
        var perWindow: [Int] = []
        var echoes: [String] = []
        while echoes.count < count {
            let expected = min(count, echoes.count + 3)
            var inWindow = 0
            while echoes.count < expected {
                guard case .text(let text) = try await next(manager) else { continue }
                echoes.append(text)
                inWindow += 1
            }
            perWindow.append(inWindow)
            if echoes.count < count {
                await expectHeld(manager, clock: clock, granted: echoes.count)
                clock.advance(by: .seconds(1))
            }
        }
        try await producer.value
        #expect(perWindow == [3, 3, 3, 1])
        #expect(echoes == (0..<count).map(String.init))
        // Held back three times, a second each.
        #expect(manager.stats.outgoingRateWait == .seconds(3))
        #expect(manager.stats.messagesSent == count)
        manager.resetStats()
        #expect(manager.stats.outgoingRateWait == .zero)
        await manager.close()
    }

    @Test func theReSubscriptionBurstAfterAReconnectKeepsToTheRate() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let clock = ManualClock()
        let log = EventLog<ManagerEvent>()
        // Quotes keep both event loops busy, as in the other reconnect tests: with an idle
        // server a drop was once seen to take about 30 s to reach the client.
        let manager = manager(server, "/ticker?rate=20", clock: clock) {
            $0.outgoingRate = .init(messages: 5, per: .seconds(1))
            $0.autoReconnect = true
            $0.reconnectStrategy = .immediate
            $0.record(into: log)
        }
        try await within { try await manager.connect() }
        let channels = (0..<12).map { "C\($0)" }

        // Acknowledgements by the virtual second they arrived in.
        var acks: [(second: Int, ack: Ack)] = []
        func collect(_ total: Int) async throws {
            while acks.count < total {
                let ack = try await nextAck(manager)
                acks.append((Int(clock.now.offset.components.seconds), ack))
            }
        }
        let subscriber = Task { try await manager.subscribe(channels) }
        try await collect(5)
        await expectHeld(manager, clock: clock, granted: 5)
        clock.advance(by: .seconds(1))
        try await collect(10)
        await expectHeld(manager, clock: clock, granted: 10)
        clock.advance(by: .seconds(1))
        try await collect(12)
        try await subscriber.value

        // Second 2 already holds 2 requests: the reconnect may add 3 there, then 5 a second.
        server.dropAllConnections()
        #expect(await log.wait(count: 3))
        #expect(log.events == [.connect, .disconnect(.networkError), .connect])
        try await collect(15)
        await expectHeld(manager, clock: clock, granted: 15)
        clock.advance(by: .seconds(1))
        try await collect(20)
        await expectHeld(manager, clock: clock, granted: 20)
        clock.advance(by: .seconds(1))
        try await collect(24)

        let perSecond = Dictionary(grouping: acks, by: \.second).mapValues(\.count)
        #expect(perSecond == [0: 5, 1: 5, 2: 5, 3: 5, 4: 4])
        #expect(acks.map(\.ack) == (channels + channels).map { Ack.subscribed($0) })
        #expect(manager.pacer?.granted == 24)
        #expect(manager.stats.messagesSent == 24)
        await manager.close()
    }

    @Test func aSendWaitingForTheRateTimesOutUnsentAndCancellationLeavesTheQueue() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let clock = ManualClock()
        let manager = manager(server, "/echo", clock: clock) {
            $0.outgoingRate = .init(messages: 1, per: .seconds(10))
            $0.sendTimeout = .seconds(1)
        }
        try await within { try await manager.connect() }
        try await manager.send("first")
        #expect(try await next(manager) == .text("first"))

        let late = Task { try await manager.send("late") }
        // The send timeout and the rate's wake-up both sleep on the clock.
        #expect(await clock.waitForSleeps(2))
        clock.advance(by: .seconds(1))
        let error = try #require(await #expect(throws: WebSocketTimeoutError.self) { try await late.value })
        #expect(error.operation == .send)
        #expect(error.timeout == .seconds(1))
        #expect(
            error.message == "the outgoing rate (1 messages per 10.0 seconds) let no message through within 1.0 seconds"
        )
        // The queue waited for the second the sender was there, not for the whole window.
        #expect(manager.stats.outgoingRateWait == .seconds(1))

        let cancelled = Task { try await manager.send("cancelled") }
        let gate = try #require(manager.core.withLock { $0.link?.gate })
        #expect(await waitUntil { gate.waitingCount == 1 })
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(gate.waitingCount == 0)

        // Neither went: the next message, once the window has passed, is the next echo.
        clock.advance(by: .seconds(9))
        try await manager.send("next")
        #expect(try await next(manager) == .text("next"))
        #expect(manager.stats.messagesSent == 2)
        await manager.close()
    }
}
