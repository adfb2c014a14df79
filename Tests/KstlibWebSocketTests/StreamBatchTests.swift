// The stream's iterator takes queued messages in batches: what it took and did not return goes
// back to the queue when the iterator goes away.
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite(.timeLimit(.minutes(3))) struct StreamBatchTests {
    static let count = 500

    /// Waits until the whole feed is queued, so the first iterator's batch is a full one.
    private func connectedWithFeedQueued(_ server: EmbeddedWebSocketServer) async throws -> WebSocketManager {
        let manager = WebSocketManager(
            url: server.url("/ticker?rate=0&count=\(Self.count)"),
            configuration: testConfiguration { $0.queueSize = 0 })
        try await manager.connect()
        let queued = await waitUntil(timeout: .seconds(30)) { manager.stats.messagesReceived == Self.count }
        try #require(queued, "all \(Self.count) messages received; got \(manager.stats.messagesReceived)")
        return manager
    }

    @Test func aLoopThatBreaksEarlyLosesNothing() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = try await connectedWithFeedQueued(server)
        var seqs: [Int] = []
        for try await message in manager.stream() {
            seqs.append(sequenceNumber(message) ?? -1)
            if seqs.count == 3 { break }
        }
        // The first iterator took a batch (up to 64, a quarter of the queue at most); what it never
        // returned comes next.
        for try await message in manager.stream() {
            seqs.append(sequenceNumber(message) ?? -1)
            if seqs.count == 100 { break }
        }
        while seqs.count < Self.count {
            seqs.append(sequenceNumber(try await manager.receive(timeout: .seconds(10))) ?? -1)
        }
        #expect(seqs == Array(1...Self.count))
        await manager.close()
    }

    @Test func aSecondIteratorWaitsForTheFirstToGoAndThenContinuesIt() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = try await connectedWithFeedQueued(server)
        var first = manager.stream().makeAsyncIterator()
        let one = try await first.next()
        var second = manager.stream().makeAsyncIterator()
        await #expect(throws: WebSocketStreamInUseError.self) { _ = try await second.next() }
        _ = consume first
        var third = manager.stream().makeAsyncIterator()
        let two = try await third.next()
        #expect(one.flatMap(sequenceNumber) == 1)
        #expect(two.flatMap(sequenceNumber) == 2)
        await manager.close()
    }
}
