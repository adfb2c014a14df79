// The embedded server's /feed endpoint: one numbered sequence per server, broadcast to every
// /feed connection.
import Foundation
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite(.timeLimit(.minutes(3))) struct EmbeddedServerFeedTests {
    struct FeedMessage: Decodable, Equatable {
        let seq: Int
        let ts: Double
    }

    /// The next /feed message of `manager`, skipping acknowledgements (messages without `seq`).
    static func next(_ manager: WebSocketManager) async throws -> FeedMessage {
        while true {
            let message = try await manager.receive(timeout: .seconds(5))
            guard case .text(let text) = message else {
                Issue.record("binary message on /feed")
                continue
            }
            if let feed = try? JSONDecoder().decode(FeedMessage.self, from: Data(text.utf8)) {
                return feed
            }
        }
    }

    /// `count` consecutive /feed messages of `manager`.
    static func collect(_ count: Int, from manager: WebSocketManager) async throws -> [FeedMessage] {
        var messages: [FeedMessage] = []
        messages.reserveCapacity(count)
        while messages.count < count {
            messages.append(try await next(manager))
        }
        return messages
    }

    static func isConsecutive(_ messages: [FeedMessage]) -> Bool {
        zip(messages, messages.dropFirst()).allSatisfy { $0.seq + 1 == $1.seq }
    }

    @Test func twoClientsShareOneGaplessSequence() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        #expect(server.feedSequence == 0)

        let first = WebSocketManager(url: server.url("/feed?rate=2000"), configuration: testConfiguration())
        try await first.connect()
        // The first client reads a while before the second one joins.
        let early = try await within { try await Self.collect(300, from: first) }
        let sequenceAtJoin = server.feedSequence
        #expect(sequenceAtJoin >= early.last!.seq)

        let second = WebSocketManager(url: server.url("/feed?rate=2000"), configuration: testConfiguration())
        try await second.connect()
        async let firstLater = within { try await Self.collect(1500, from: first) }
        async let secondMessages = within { try await Self.collect(1000, from: second) }
        let firstMessages = try await early + firstLater
        let joined = try await secondMessages

        // Each client sees strictly consecutive numbers; the first starts at 1.
        #expect(firstMessages.first?.seq == 1)
        #expect(Self.isConsecutive(firstMessages))
        #expect(Self.isConsecutive(joined))
        // The late joiner starts after what was produced before it connected.
        #expect(joined.first!.seq > sequenceAtJoin)
        // Where both were connected, they got the very same messages.
        let (lower, upper) = (joined.first!.seq, min(joined.last!.seq, firstMessages.last!.seq))
        #expect(upper - lower + 1 >= 500)
        guard upper >= lower else { return }
        let overlap = lower...upper
        let fromFirst = firstMessages.filter { overlap.contains($0.seq) }
        let fromSecond = joined.filter { overlap.contains($0.seq) }
        #expect(fromFirst.count == overlap.count)
        #expect(fromFirst == fromSecond)
        // Timestamps are seconds since the server started and never go backwards.
        #expect(zip(firstMessages, firstMessages.dropFirst()).allSatisfy { $0.ts <= $1.ts })
        #expect(firstMessages.first!.ts >= 0)

        // feedSequence is the last number produced: at least what was received, and growing.
        let seen = max(firstMessages.last!.seq, joined.last!.seq)
        #expect(server.feedSequence >= seen)
        let more = try await within { try await Self.collect(10, from: second) }
        #expect(more.first!.seq == joined.last!.seq + 1)
        #expect(Self.isConsecutive(more))
        #expect(server.feedSequence >= more.last!.seq)
        #expect(server.feedSequence > sequenceAtJoin)

        await first.close()
        await second.close()
    }

    @Test func subscribeRequestsAreAcknowledged() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/feed?rate=0"), configuration: testConfiguration())
        try await manager.connect()
        try await manager.send(#"{"type":"subscribe","channel":"trades"}"#)
        let acknowledged = try await within {
            while true {
                let message = try await manager.receive(timeout: .seconds(5))
                if case .text(let text) = message, text.contains("\"type\"") { return text }
            }
        }
        #expect(acknowledged == #"{"type":"subscribed","channel":"trades"}"#)
        // rate=0 falls back to the default rate: the feed still flows, without gaps.
        let messages = try await within { try await Self.collect(5, from: manager) }
        #expect(Self.isConsecutive(messages))
        #expect(server.feedSequence >= messages.last!.seq)
        await manager.close()
    }

    @Test func slowReaderIsDroppedWithoutStallingOthers() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        // A client loop of its own, so this high-rate test does not load the shared one.
        let loop = EventLoop()
        defer { loop.shutdown() }
        // Asks for more than the maximum: the feed runs at 50,000 per second. An unbounded inbox
        // keeps its socket read, so its queue on the server stays short.
        let fast = WebSocketManager(
            url: server.url("/feed?rate=1000000"),
            configuration: testConfiguration {
                $0.compression = .disabled
                $0.queueSize = 0
            },
            clock: ContinuousClock(), loop: loop)
        try await fast.connect()
        // Reads nothing for now: its inbox fills, then the socket, then its queue on the server,
        // until the server drops it.
        let slow = WebSocketManager(
            url: server.url("/feed"),
            configuration: testConfiguration {
                $0.compression = .disabled
                $0.queueSize = 1
            },
            clock: ContinuousClock(), loop: loop)
        try await slow.connect()
        // Once it has a message, the server has it on the feed.
        _ = try await within { try await Self.next(slow) }

        // The fast client's messages are the clock: read them until the server has let go of
        // the slow one (it keeps only the fast connection).
        let fastMessages = try await within(.seconds(60)) {
            var messages: [FeedMessage] = []
            repeat {
                messages.append(try await Self.next(fast))
            } while server.connectionCount > 1
            return messages
        }
        #expect(Self.isConsecutive(fastMessages))
        #expect(fast.isConnected)

        // The slow client still reads what reached it before the drop, without a gap, then
        // learns that the connection was cut (no close frame: 1006).
        let (slowMessages, error) = try await within(.seconds(60)) { await drain(slow) }
        let slowFeed = slowMessages.compactMap { message -> FeedMessage? in
            guard case .text(let text) = message else { return nil }
            return try? JSONDecoder().decode(FeedMessage.self, from: Data(text.utf8))
        }
        #expect(slowFeed.count > 1000)
        #expect(Self.isConsecutive(slowFeed))
        #expect((error as? WebSocketClosedError)?.code == .abnormalClosure)
        #expect(server.feedSequence > slowFeed.last!.seq + 100_000)
        await fast.close()
    }
}
