// PoolWorkload: the client side of `kstlib-bench pool`, in this process.
import Foundation
import KstlibWebSocket
import Synchronization

/// One CPU measurement.
struct PoolCPUReport: Sendable {
    var client: String
    var shards: Int
    var messagesPerSecond: Double
    var cpuMicrosecondsPerMessage: Double
}

/// The storm case's figures.
struct PoolStormReport: Sendable {
    /// From the first subscribe to every topic flowing.
    var initial: Duration
    /// From the drop to every topic flowing again.
    var restore: Duration
    var connectionsOpened: Int
}

/// Which topics delivered since the last mark, and how many messages arrived in total.
final class TopicTally: Sendable {
    private struct State {
        var seen: Set<String> = []
        var messages = 0
    }
    private let state = Mutex(State())
    let expected: Int

    init(expected: Int) { self.expected = expected }

    func record(_ message: WebSocketMessage, parse: Bool) {
        let topic = parse ? Self.topic(of: message) : nil
        state.withLock { state in
            state.messages += 1
            if let topic { state.seen.insert(topic) }
        }
    }

    func mark() { state.withLock { $0.seen = [] } }
    var everyTopicSeen: Bool { state.withLock { $0.seen.count >= expected } }
    var messages: Int { state.withLock { $0.messages } }

    /// The `topic` of `{"topic":"T","seq":n}`, by a scan rather than a JSON decoder.
    static func topic(of message: WebSocketMessage) -> String? {
        guard case .text(let text) = message, text.hasPrefix(#"{"topic":""#) else { return nil }
        let rest = text.dropFirst(10)
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }
}

struct PoolWorkload: Sendable {
    let url: String
    let topics: [String]
    let seconds: Double

    /// The configuration both clients share: no keepalive, Binance-style requests.
    private var configuration: WebSocketConfiguration {
        var config = WebSocketConfiguration()
        config.subscriptionFormat = .binance
        config.pingInterval = nil
        config.reconnectStrategy = .fixedDelay
        config.reconnectDelay = .milliseconds(50)
        return config
    }

    func measureSingleManager() async throws -> PoolCPUReport {
        var config = configuration
        config.subscriptionFormat.maxTopicsPerMessage = 1_000
        let manager = WebSocketManager(url: url, configuration: config)
        try await manager.connect()
        let tally = TopicTally(expected: topics.count)
        let reader = Task {
            var parse = true
            for try await message in manager.stream() {
                tally.record(message, parse: parse)
                if parse, tally.everyTopicSeen { parse = false }
            }
        }
        try await manager.subscribe(topics)
        let report = try await timed(tally, client: "manager", shards: 1)
        await manager.close()
        reader.cancel()
        return report
    }

    func measurePool(shards: Int) async throws -> PoolCPUReport {
        var limits = PoolLimits()
        limits.maxStreamsPerConnection = (topics.count + shards - 1) / shards
        limits.outgoingRate = nil
        limits.maxTopicsPerMessage = 1_000
        limits.connectionSpacing = .zero
        let pool = WebSocketPool(url: url, configuration: configuration, limits: limits)
        let tally = TopicTally(expected: topics.count)
        let reader = Task {
            var parse = true
            for try await item in pool.stream() {
                tally.record(item.message, parse: parse)
                if parse, tally.everyTopicSeen { parse = false }
            }
        }
        try await pool.subscribe(topics)
        let report = try await timed(tally, client: "pool", shards: pool.shardCount)
        await pool.close()
        reader.cancel()
        return report
    }

    func measureStorm(
        shards: Int, subscribeRate: Int, topicsPerMessage: Int, spacing: Duration, drop: () -> Void
    ) async throws -> PoolStormReport {
        var limits = PoolLimits()
        limits.maxStreamsPerConnection = (topics.count + shards - 1) / shards
        limits.outgoingRate = .init(messages: subscribeRate, per: .seconds(1))
        limits.maxTopicsPerMessage = topicsPerMessage
        limits.connectionSpacing = spacing
        let pool = WebSocketPool(url: url, configuration: configuration, limits: limits)
        let tally = TopicTally(expected: topics.count)
        let reader = Task {
            for try await item in pool.stream() { tally.record(item.message, parse: true) }
        }
        let start = ContinuousClock.now
        try await pool.subscribe(topics)
        try await waitUntil("every topic flowing") { tally.everyTopicSeen }
        let initial = ContinuousClock.now - start
        tally.mark()
        let dropped = ContinuousClock.now
        drop()
        try await waitUntil("every topic flowing after the storm") {
            tally.everyTopicSeen && pool.stats.reconnects >= shards
        }
        let restore = ContinuousClock.now - dropped
        let opened = pool.stats.connectionsOpened
        await pool.close()
        reader.cancel()
        return PoolStormReport(initial: initial, restore: restore, connectionsOpened: opened)
    }

    /// Waits until every topic delivered, then measures CPU time and messages over `seconds`.
    private func timed(_ tally: TopicTally, client: String, shards: Int) async throws -> PoolCPUReport {
        try await waitUntil("every topic flowing") { tally.everyTopicSeen }
        // One more second so the subscription burst is over.
        try await Task.sleep(for: .seconds(1))
        let cpuBefore = ProcessStatus.cpuSeconds()
        let messagesBefore = tally.messages
        let start = ContinuousClock.now
        try await Task.sleep(for: .seconds(seconds))
        let elapsed = (ContinuousClock.now - start).seconds
        let messages = tally.messages - messagesBefore
        let cpu = ProcessStatus.cpuSeconds() - cpuBefore
        return PoolCPUReport(
            client: client, shards: shards, messagesPerSecond: Double(messages) / elapsed,
            cpuMicrosecondsPerMessage: cpu * 1e6 / Double(max(messages, 1)))
    }

    private func waitUntil(_ what: String, timeout: Duration = .seconds(120), _ condition: () -> Bool)
        async throws
    {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else {
                throw ChildProcessError(description: "gave up waiting for \(what)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
