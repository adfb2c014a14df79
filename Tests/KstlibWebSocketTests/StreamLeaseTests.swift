// The stream iterator's batch lease keeps the queue's promises: order with receive(), the .fail
// error's timing, the queue-depth gauge, and when backpressure resumes reading.
import Foundation
import MetricsTestKit
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite(.timeLimit(.minutes(3))) struct StreamLeaseTests {
    /// A manager whose whole ticker feed (`count` quotes) is queued.
    private func queuedFeed(
        _ server: EmbeddedWebSocketServer, count: Int, adjust: (inout WebSocketConfiguration) -> Void = { _ in }
    ) async throws -> WebSocketManager {
        let manager = WebSocketManager(
            url: server.url("/ticker?rate=0&count=\(count)"),
            configuration: testConfiguration {
                $0.queueSize = 0
                adjust(&$0)
            })
        try await manager.connect()
        let queued = await waitUntil(timeout: .seconds(30)) { manager.stats.messagesReceived == count }
        try #require(queued, "got \(manager.stats.messagesReceived) of \(count)")
        return manager
    }

    /// A loop over the stream that reads the message after each one with receive(), as a
    /// "header, then its body" protocol would.
    @Test func receiveInsideAStreamLoopGetsTheNextMessage() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = try await queuedFeed(server, count: 200)
        var seqs: [Int] = []
        for try await message in manager.stream() {
            seqs.append(sequenceNumber(message) ?? -1)
            seqs.append(sequenceNumber(try await manager.receive(timeout: .seconds(10))) ?? -1)
            if seqs.count >= 4 { break }
        }
        #expect(seqs == [1, 2, 3, 4])
        await manager.close()
    }

    /// WebSocketQueueFullError: "Thrown once per overflow by the next ... iteration of stream()".
    @Test func theOverflowErrorComesWithTheNextIteration() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = WebSocketManager(
            url: server.url("/echo"),
            configuration: testConfiguration {
                $0.queueSize = 100
                $0.queueOverflowPolicy = .fail
            })
        try await manager.connect()
        for index in 1...100 { try await manager.send("m\(index)") }
        try #require(await waitUntil(timeout: .seconds(10)) { manager.stats.messagesReceived == 100 })
        var iterator = manager.stream().makeAsyncIterator()
        #expect(try await iterator.next() == .text("m1"))
        // 70 more than the queue had room for before the first next(): at least 6 overflow.
        for index in 101...170 { try await manager.send("m\(index)") }
        try #require(await waitUntil(timeout: .seconds(10)) { manager.stats.messagesReceived == 170 })
        let dropped = manager.stats.messagesDropped
        var after: WebSocketMessage?
        await #expect(throws: WebSocketQueueFullError.self, "dropped \(dropped); got \(String(describing: after))") {
            after = try await iterator.next()
        }
        withExtendedLifetime(iterator) {}
        await manager.close()
    }

    /// The queue-depth gauge after one message taken through the stream from a queue of 10.
    @Test func theQueueDepthGaugeCountsWhatTheIteratorHolds() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let metrics = TestMetrics()
        let manager = try await queuedFeed(server, count: 10) {
            $0.metrics = .init(label: "review", factory: metrics)
        }
        var iterator = manager.stream().makeAsyncIterator()
        #expect(try await iterator.next().flatMap(sequenceNumber) == 1)
        let depth = try metrics.expectGauge(
            "kstlib_websocket_queue_depth", [("host", "127.0.0.1"), ("label", "review")])
        #expect(depth.lastValue == 9, "9 messages wait for the consumer")
        withExtendedLifetime(iterator) {}
        await manager.close()
    }

    /// Under backpressure with a queue of 10, reading resumes once the queue is half empty: one
    /// message taken leaves 9 waiting, so reading must stay paused.
    @Test func oneMessageTakenDoesNotResumeReading() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = WebSocketManager(
            url: server.url("/ticker?rate=0&count=5000"),
            configuration: testConfiguration { $0.queueSize = 10 })
        try await manager.connect()
        // Paused: the count stops moving.
        var last = -1
        while manager.stats.messagesReceived != last {
            last = manager.stats.messagesReceived
            try await Task.sleep(for: .milliseconds(300))
        }
        var iterator = manager.stream().makeAsyncIterator()
        _ = try await iterator.next()
        try await Task.sleep(for: .milliseconds(500))
        #expect(manager.stats.messagesReceived == last, "paused at \(last); now \(manager.stats.messagesReceived)")
        withExtendedLifetime(iterator) {}
        await manager.close()
    }
}
