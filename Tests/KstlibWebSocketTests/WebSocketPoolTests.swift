// WebSocketPool over real sockets, against the embedded server enforcing an exchange's limits:
// topics sharded under the stream limit, one merged stream, storms (close frames, dropped
// sockets) that break no limit and lose nothing the server sent, and the pool's errors.
import Synchronization
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite(.timeLimit(.minutes(3))) struct WebSocketPoolTests {
    static let serverLimits = ExchangeLimits(
        maxStreamsPerConnection: 100, maxIncomingMessagesPerSecond: 20, maxTopicsPerMessage: 10,
        maxNewConnectionsPerWindow: 12, connectionWindow: .seconds(3))

    /// The pool's side of `serverLimits`, with a margin on the rate and the window.
    static var poolLimits: PoolLimits {
        var limits = PoolLimits()
        limits.maxStreamsPerConnection = 100
        limits.outgoingRate = .init(messages: 15, per: .seconds(1))
        limits.maxTopicsPerMessage = 10
        limits.newConnections = .init(connections: 10, per: .seconds(3))
        limits.connectionSpacing = .milliseconds(20)
        return limits
    }

    static func configuration() -> WebSocketConfiguration {
        testConfiguration {
            $0.autoReconnect = true
            $0.reconnectStrategy = .fixedDelay
            $0.reconnectDelay = .milliseconds(50)
            $0.subscriptionFormat = .binance
        }
    }

    static func topics(_ count: Int) -> [String] { (0..<count).map { "t\($0)" } }

    @Test func shardsTopicsUnderTheStreamLimitAndMergesTheirStreams() async throws {
        let server = try EmbeddedWebSocketServer(limits: Self.serverLimits)
        defer { server.stop() }
        let pool = WebSocketPool(
            url: server.url("/topics?rate=5"), configuration: Self.configuration(), limits: Self.poolLimits)
        let topics = Self.topics(450)
        try await within { try await pool.subscribe(topics) }
        #expect(pool.shardCount == 5)
        let collector = TopicCollector(pool)
        try await collector.waitForEveryTopic(topics)

        let assignments = pool.assignments
        #expect(Set(assignments.keys) == Set(topics))
        #expect(collector.shardMismatches(assignments) == [])
        let stats = pool.stats
        #expect(stats.shards.map(\.topics) == [100, 100, 100, 100, 50])
        #expect(stats.connectedShards == 5)
        #expect(stats.connectionsOpened == 5)
        #expect(stats.messagesReceived >= 450)
        #expect(server.limitViolations == [])
        #expect(server.limitPeaks.streamsPerConnection == 100)
        #expect(server.limitPeaks.topicsPerMessage == 10)
        // One iterator at a time, as for a manager.
        var second = pool.stream().makeAsyncIterator()
        await #expect(throws: WebSocketStreamInUseError.self) { _ = try await second.next() }

        try await within { try await pool.unsubscribe(Array(topics[0..<60])) }
        #expect(pool.stats.shards.map(\.topics) == [40, 100, 100, 100, 50])
        try await within { try await pool.subscribe(["new"]) }
        #expect(pool.assignments["new"] == 0)
        await pool.close()
        try await collector.waitForEnd()
        #expect(collector.endError == nil)
    }

    @Test func aStormOfCloseFramesBreaksNoLimitAndLosesNothingTheServerSent() async throws {
        let server = try EmbeddedWebSocketServer(limits: Self.serverLimits)
        defer { server.stop() }
        let pool = WebSocketPool(
            url: server.url("/topics?rate=10"), configuration: Self.configuration(), limits: Self.poolLimits)
        let topics = Self.topics(300)
        try await within { try await pool.subscribe(topics) }
        let collector = TopicCollector(pool)
        try await collector.waitForEveryTopic(topics)

        server.closeAllConnections(code: 1012, reason: "service restart")
        try await eventually("every shard to reconnect") {
            pool.stats.reconnects >= 3 && pool.stats.connectedShards == 3
        }
        // Every topic flows again after the storm: the re-subscriptions all arrived.
        collector.reset()
        try await collector.waitForEveryTopic(topics)
        server.pauseTopics(true)
        try await eventually("the client to have every message the server wrote") {
            collector.counts() == server.topicMessagesSent
        }
        #expect(collector.duplicates() == [])
        #expect(server.limitViolations == [])
        let peaks = server.limitPeaks
        #expect(peaks.streamsPerConnection <= 100 && peaks.messagesPerSecond <= 20)
        #expect(peaks.newConnectionsPerWindow <= 12)
        #expect(pool.stats.connectionsOpened == 6)
        await pool.close()
    }

    @Test func aStormOfDroppedSocketsRespectsTheWindowAndRestoresEverySubscription() async throws {
        let server = try EmbeddedWebSocketServer(limits: Self.serverLimits)
        defer { server.stop() }
        let pool = WebSocketPool(
            url: server.url("/topics?rate=2"), configuration: Self.configuration(), limits: Self.poolLimits)
        let topics = Self.topics(400)
        try await within { try await pool.subscribe(topics) }
        let expected = Dictionary(uniqueKeysWithValues: topics.map { ($0, 1) })
        try await eventually("the server to carry every topic") { server.subscribedTopics == expected }

        // Three storms in a row: 4 + 4 + 4 + 4 connections, more than the server's 12 per
        // window: only the pool's window (10) keeps them apart.
        for round in 1...3 {
            server.dropAllConnections()
            try await eventually("every shard to reconnect after storm \(round)") {
                pool.stats.reconnects >= 4 * round && pool.stats.connectedShards == 4
            }
        }
        try await eventually("the server to carry every topic again") { server.subscribedTopics == expected }
        #expect(server.limitViolations == [])
        #expect(server.limitPeaks.newConnectionsPerWindow <= 12)
        #expect(server.limitPeaks.messagesPerSecond <= 20)
        #expect(pool.stats.connectionsOpened == 16)
        #expect(pool.stats.connectionWindowWait > .zero)
        await pool.close()
    }

    @Test func connectionAgeRotationsGoOneShardAtATimeNeverAllDown() async throws {
        let server = try EmbeddedWebSocketServer(limits: Self.serverLimits)
        defer { server.stop() }
        var config = Self.configuration()
        // Shards opened together reach their age together: without staggering they would all
        // rotate at the same moment.
        config.maxConnectionAge = .milliseconds(300)
        config.disconnectMargin = .zero
        var limits = Self.poolLimits
        limits.connectionSpacing = .zero
        limits.maxStreamsPerConnection = 10
        let pool = WebSocketPool(url: server.url("/topics"), configuration: config, limits: limits)
        try await within { try await pool.subscribe(Self.topics(30)) }
        #expect(pool.shardCount == 3)
        server.markLowestConnectionCount()
        try await eventually("every shard to rotate twice") {
            pool.stats.shards.allSatisfy { $0.stats.proactiveDisconnects >= 2 }
        }
        #expect(server.lowestConnectionCount >= 2)
        #expect(server.limitViolations == [])
        let expected = Dictionary(uniqueKeysWithValues: Self.topics(30).map { ($0, 1) })
        try await eventually("the server to carry every topic") { server.subscribedTopics == expected }
        await pool.close()
    }

    @Test func gaplessRotationWorksPerShardThroughTheWindow() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        var config = Self.configuration()
        config.maxConnectionAge = .milliseconds(300)
        config.disconnectMargin = .zero
        config.gaplessRotation = true
        config.messageKey = { sequenceNumber($0).map(String.init) }
        var limits = Self.poolLimits
        limits.maxStreamsPerConnection = 1
        // Every shard receives the whole /feed: the same numbered messages on every connection.
        let pool = WebSocketPool(url: server.url("/feed?rate=500"), configuration: config, limits: limits)
        let received = Mutex<[Int: [Int]]>([:])
        let reader = Task {
            for try await item in pool.stream() {
                guard let seq = sequenceNumber(item.message) else { continue }
                received.withLock { $0[item.shard, default: []].append(seq) }
            }
        }
        try await within { try await pool.subscribe(["a", "b"]) }
        try await eventually("both shards to rotate twice") {
            pool.stats.shards.count == 2 && pool.stats.shards.allSatisfy { $0.stats.rotations >= 2 }
        }
        await pool.close()
        _ = await reader.result
        let perShard = received.withLock { $0 }
        #expect(perShard.keys.sorted() == [0, 1])
        for (shard, seqs) in perShard {
            let gaps = zip(seqs, seqs.dropFirst()).filter { $0.1 != $0.0 + 1 }
            #expect(gaps.isEmpty, "shard \(shard): neither gap nor repeat across its rotations, got \(gaps.prefix(5))")
        }
        // Every rotation's new connection went through the pool's window.
        #expect(pool.stats.connectionsOpened >= 2 + 4)
    }

    @Test func aShardThatIsNotReconnectedEndsThePoolWithTheServersClose() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        var config = Self.configuration()
        config.autoReconnect = false
        let pool = WebSocketPool(url: server.url("/topics"), configuration: config, limits: Self.poolLimits)
        try await within { try await pool.subscribe(Self.topics(150)) }
        let collector = TopicCollector(pool)
        server.closeAllConnections(code: 4001, reason: "maintenance")
        try await collector.waitForEnd()
        let closed = try #require(collector.endError as? WebSocketClosedError)
        #expect(closed.code == WebSocketCloseCode(rawValue: 4001))
        #expect(closed.reason == "maintenance")
        await pool.close()
    }

    @Test func closeHandsOverEverythingTheShardsReceived() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        var limits = Self.poolLimits
        limits.maxStreamsPerConnection = 10
        let pool = WebSocketPool(
            url: server.url("/topics?rate=20"), configuration: Self.configuration(), limits: limits)
        try await within { try await pool.subscribe(Self.topics(30)) }
        try await eventually("some messages") { server.topicMessagesSent.values.reduce(0, +) >= 200 }
        server.pauseTopics(true)
        // Nobody reads yet: every message waits in the shards' queues and the pool's.
        let acknowledgements = 3
        try await eventually("the shards to have received every message the server wrote") {
            pool.stats.messagesReceived == server.topicMessagesSent.values.reduce(0, +) + acknowledgements
        }
        await pool.close()
        var topicMessages = 0
        for try await item in pool.stream() where jsonFields(item.message)?["topic"] != nil { topicMessages += 1 }
        #expect(topicMessages == server.topicMessagesSent.values.reduce(0, +))
    }

    @Test func aNewShardTheWindowCannotAllowFailsTheSubscribeAndLeavesNothingBehind() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        var limits = PoolLimits()
        limits.maxStreamsPerConnection = 2
        limits.newConnections = .init(connections: 1, per: .seconds(60))
        limits.connectionWindowTimeout = .seconds(1)
        let pool = WebSocketPool(url: server.url("/topics"), configuration: Self.configuration(), limits: limits)
        try await within { try await pool.subscribe(["a", "b"]) }
        let error = await #expect(throws: WebSocketTimeoutError.self) {
            try await within { try await pool.subscribe(["c", "d", "e"]) }
        }
        #expect(error?.operation == .connectionWindow)
        #expect(error?.timeout == .seconds(1))
        #expect(
            error?.message
                == "the connection window (1 connections per 60.0 seconds) allows no new connection within 1.0 seconds"
        )
        #expect(pool.assignments == ["a": 0, "b": 0])
        #expect(pool.shardCount == 1)
        await pool.close()
    }

    @Test func aNewShardThatCannotConnectFailsTheSubscribeAndLeavesNothingBehind() async throws {
        let pool = WebSocketPool(
            url: "ws://127.0.0.1:\(refusedPort())/topics", configuration: testConfiguration(), limits: Self.poolLimits)
        let error = await #expect(throws: WebSocketConnectionError.self) {
            try await within { try await pool.subscribe(["a"]) }
        }
        #expect(error?.attempts == 1)
        #expect(pool.assignments == [:])
        #expect(pool.shardCount == 0)
        await pool.close()
    }

    @Test func whenAShardGivesUpThePoolEndsWithItsError() async throws {
        let server = try EmbeddedWebSocketServer()
        var config = Self.configuration()
        config.maxReconnectAttempts = 2
        config.reconnectDelay = .milliseconds(10)
        let pool = WebSocketPool(url: server.url("/topics"), configuration: config, limits: Self.poolLimits)
        try await within { try await pool.subscribe(Self.topics(150)) }
        let collector = TopicCollector(pool)
        server.stop()
        try await collector.waitForEnd()
        let failure = try #require(collector.endError as? WebSocketReconnectError)
        #expect(failure.attempts == 2)
        let closed = await #expect(throws: WebSocketConnectionError.self) { try await pool.subscribe(["late"]) }
        #expect(closed?.message == "cannot subscribe: the pool is closed")
        await pool.close()
    }
}

/// Reads a pool's stream in the background: the `/topics` sequence numbers per topic and the
/// shard each came from.
final class TopicCollector: Sendable {
    private struct State {
        var seqs: [String: [Int]] = [:]
        var shards: [String: Set<Int>] = [:]
        var seenSinceReset: Set<String> = []
        var ended = false
        var error: (any Error)?
    }

    private let state = Mutex(State())

    /// Starts reading; the reading task keeps the collector until the stream ends.
    init(_ pool: WebSocketPool) {
        Task { [self] in
            do {
                for try await item in pool.stream() {
                    guard let fields = jsonFields(item.message), let topic = fields["topic"] as? String,
                        let seq = fields["seq"] as? Int
                    else { continue }
                    state.withLock { state in
                        state.seqs[topic, default: []].append(seq)
                        state.shards[topic, default: []].insert(item.shard)
                        state.seenSinceReset.insert(topic)
                    }
                }
                state.withLock { $0.ended = true }
            } catch {
                state.withLock {
                    $0.ended = true
                    $0.error = error
                }
            }
        }
    }

    func waitForEveryTopic(_ topics: [String]) async throws {
        let wanted = Set(topics)
        try await eventually("a message of every topic") { state.withLock { wanted.isSubset(of: $0.seenSinceReset) } }
    }

    func waitForEnd() async throws {
        try await eventually("the pool's stream to end") { state.withLock { $0.ended } }
    }

    func reset() { state.withLock { $0.seenSinceReset = [] } }

    var endError: (any Error)? { state.withLock { $0.error } }

    func counts() -> [String: Int] { state.withLock { $0.seqs.mapValues(\.count) } }

    /// Topics whose sequence numbers repeat.
    func duplicates() -> [String] {
        state.withLock { $0.seqs.filter { Set($0.value).count != $0.value.count }.map(\.key) }
    }

    /// Topics that came from a shard other than the one the pool assigned them to.
    func shardMismatches(_ assignments: [String: Int]) -> [String] {
        state.withLock { $0.shards.filter { $0.value != [assignments[$0.key] ?? -1] }.map(\.key) }
    }
}
