// The incoming queue's overflow policies against a producer much faster than the consumer.
import Foundation
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite(.timeLimit(.minutes(3))) struct QueuePolicyTests {
    static let count = 5000
    static let queueSize = 50
    /// 5000 quotes as fast as the socket takes them, then a close 1000.
    static let feed = "/ticker?rate=0&count=5000"

    private func manager(
        _ server: EmbeddedWebSocketServer, policy: QueueOverflowPolicy, queueSize: Int = queueSize,
        compressed: Bool = true, alerts: EventLog<ManagerEvent>
    ) -> WebSocketManager {
        let config = testConfiguration {
            $0.queueSize = queueSize
            $0.compression.enabled = compressed
            $0.queueOverflowPolicy = policy
            $0.onAlert = { alerts.append(.alert(channel: $0.channel, message: $0.message)) }
        }
        return WebSocketManager(url: server.url(Self.feed), configuration: config)
    }

    /// Every message's seq, the stream read until it ends.
    private func sequenceNumbers(_ manager: WebSocketManager) async throws -> (seqs: [Int], error: (any Error)?) {
        let (messages, error) = try await within(.seconds(60)) { await drain(manager) }
        return (messages.map { sequenceNumber($0) ?? -1 }, error)
    }

    // MARK: Nothing read until the producer is done: exact accounting

    // The consumer reads nothing until every quote arrived (each of the 4950 that did not fit
    // raised an alert): the extreme of a slow consumer, and deterministic.

    @Test func dropNewestKeepsTheFirstQueueSizeMessages() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let alerts = EventLog<ManagerEvent>()
        let manager = manager(server, policy: .dropNewest, alerts: alerts)
        try await manager.connect()
        let dropped = Self.count - Self.queueSize
        #expect(await alerts.wait(count: dropped, timeout: .seconds(30)))
        let (seqs, error) = try await sequenceNumbers(manager)
        #expect(error == nil, "\(String(describing: error))")
        #expect(seqs == Array(1...Self.queueSize))
        let stats = manager.stats
        #expect(stats.messagesReceived == Self.count)
        #expect(stats.messagesDropped == dropped)
        let events = alerts.events
        #expect(events.count == dropped)
        #expect(events.allSatisfy { if case .alert(channel: "queue", _) = $0 { true } else { false } })
    }

    @Test func dropOldestKeepsTheLastQueueSizeMessages() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let alerts = EventLog<ManagerEvent>()
        let manager = manager(server, policy: .dropOldest, alerts: alerts)
        try await manager.connect()
        let dropped = Self.count - Self.queueSize
        #expect(await alerts.wait(count: dropped, timeout: .seconds(30)))
        let (seqs, error) = try await sequenceNumbers(manager)
        #expect(error == nil, "\(String(describing: error))")
        #expect(seqs == Array((Self.count - Self.queueSize + 1)...Self.count))
        #expect(manager.stats.messagesReceived == Self.count)
        #expect(manager.stats.messagesDropped == dropped)
        #expect(alerts.events.allSatisfy { if case .alert(channel: "queue", _) = $0 { true } else { false } })
    }

    @Test func failThrowsQueueFullErrorWithSizeAndDroppedCount() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let alerts = EventLog<ManagerEvent>()
        let manager = manager(server, policy: .fail, alerts: alerts)
        try await manager.connect()
        let dropped = Self.count - Self.queueSize
        #expect(await alerts.wait(count: dropped, timeout: .seconds(30)))
        let (seqs, error) = try await sequenceNumbers(manager)
        // Whatever was delivered before the error came in order from the start.
        #expect(seqs == (0..<seqs.count).map { $0 + 1 }, "\(seqs.prefix(5))")
        let full = try #require(error as? WebSocketQueueFullError, "\(String(describing: error))")
        #expect(full.queueSize == Self.queueSize)
        #expect(full.droppedCount == dropped)
        #expect(manager.stats.messagesDropped == dropped)
        await manager.close()
    }

    // MARK: A consumer that keeps reading, slowly

    /// Reads the stream, pausing 1 ms every 10 messages (load shaping, not synchronisation),
    /// and notes the largest backlog seen (received by the manager but not yet consumed) and the
    /// smallest message.
    private func consumeSlowly(_ manager: WebSocketManager) async throws -> (
        seqs: [Int], error: (any Error)?, backlog: Int, smallest: Int
    ) {
        try await within(.seconds(60)) {
            var seqs: [Int] = []
            var backlog = 0
            var smallest = Int.max
            do {
                for try await message in manager.stream() {
                    seqs.append(sequenceNumber(message) ?? -1)
                    smallest = min(smallest, message.text?.utf8.count ?? Int.max)
                    backlog = max(backlog, manager.stats.messagesReceived - seqs.count)
                    if seqs.count.isMultiple(of: 10) { try await Task.sleep(for: .milliseconds(1)) }
                }
                return (seqs, nil, backlog, smallest)
            } catch {
                return (seqs, error, backlog, smallest)
            }
        }
    }

    @Test(arguments: [true, false])
    func backpressureDeliversEverythingInOrder(compressed: Bool) async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let alerts = EventLog<ManagerEvent>()
        let manager = manager(server, policy: .backpressure, compressed: compressed, alerts: alerts)
        try await manager.connect()
        let (seqs, error, backlog, smallest) = try await consumeSlowly(manager)
        #expect(error == nil, "\(String(describing: error))")
        #expect(seqs == Array(1...Self.count))
        #expect(manager.stats.messagesDropped == 0)
        #expect(manager.stats.messagesReceived == Self.count)
        #expect(alerts.events.isEmpty)
        // Reading stopped while the queue was full: the manager never held more than queueSize
        // and the frames of one read. libwebsockets up to 4.3 stops between two frames of a read
        // (observed: queueSize + 1). From 4.5 its block parser delivers the rest of the read
        // after a pause: at most `largestRead` bytes, and a frame takes its 2-byte header plus
        // its payload, which permessage-deflate makes far smaller than the text (about 15 bytes
        // a quote here), so only the header is certain. (The first read, which carries the
        // upgrade response, may be longer; it holds what came before the client read it.)
        // Without backpressure the whole feed (5,000) would pile up.
        let frameFloor = compressed && ContextTables.parsesWholeReads ? 2 : max(smallest + 2, 1)
        let oneRead = ContextTables.largestRead(compressionOffered: compressed) / frameFloor
        #expect(backlog <= Self.queueSize + 1 + oneRead, "backlog \(backlog), one read \(oneRead)")
    }

    @Test(arguments: [QueueOverflowPolicy.dropNewest, .dropOldest])
    func slowConsumerLosesMessagesButKeepsOrder(policy: QueueOverflowPolicy) async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let alerts = EventLog<ManagerEvent>()
        let manager = manager(server, policy: policy, alerts: alerts)
        try await manager.connect()
        let (seqs, error, _, _) = try await consumeSlowly(manager)
        #expect(error == nil, "\(String(describing: error))")
        let dropped = manager.stats.messagesDropped
        #expect(dropped > 0)
        #expect(seqs.count + dropped == Self.count)
        #expect(zip(seqs, seqs.dropFirst()).allSatisfy { $0 < $1 }, "out of order")
        switch policy {
        case .dropNewest: #expect(seqs.first == 1, "the first quote found an empty queue")
        default: #expect(seqs.last == Self.count, "the newest quote is never the one dropped")
        }
        #expect(await alerts.wait(count: dropped))
        #expect(alerts.events.allSatisfy { if case .alert(channel: "queue", _) = $0 { true } else { false } })
    }

    @Test func unboundedQueueNeverDrops() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let alerts = EventLog<ManagerEvent>()
        let manager = manager(server, policy: .dropNewest, queueSize: 0, alerts: alerts)
        try await manager.connect()
        let (seqs, error, _, _) = try await consumeSlowly(manager)
        #expect(error == nil, "\(String(describing: error))")
        #expect(seqs == Array(1...Self.count))
        #expect(manager.stats.messagesDropped == 0)
        #expect(alerts.events.isEmpty)
    }
}
