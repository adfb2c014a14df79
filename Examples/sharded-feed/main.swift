// sharded-feed: 5,000 topics over a WebSocketPool, within an exchange's limits, through a
// reconnect storm.
//
// The embedded server plays an exchange: at most 1,024 streams per connection, 25 messages per
// second per connection, 50 topics per subscribe message, 20 new connections per 10 s; a client
// that breaks one is closed with 1008. The pool shards the topics (5 connections), the server
// restarts every connection at once in the middle (a close frame 1012 to each: a storm), the
// shards reconnect through the pool's connection window and re-subscribe at the paced rate.
// The summary shows that no limit was broken and that every message the server wrote reached
// the application exactly once.
//
// Run: swift run sharded-feed        (no arguments: uses the embedded local server, ~3 s)
// Exits 0 when no limit was broken and nothing was lost, 1 otherwise.
import Foundation
import KstlibWebSocket
import KstlibWebSocketServer
import Synchronization

let exchange = ExchangeLimits(
    maxStreamsPerConnection: 1024, maxIncomingMessagesPerSecond: 25, maxTopicsPerMessage: 50,
    maxNewConnectionsPerWindow: 20, connectionWindow: .seconds(10))
let server = try EmbeddedWebSocketServer(limits: exchange)

// The pool keeps a margin under the exchange's rate and window: pacing applies where a message
// enters the connection, and the network may bring two closer together.
var limits = PoolLimits()
limits.maxStreamsPerConnection = 1024
limits.outgoingRate = .init(messages: 20, per: .seconds(1))
limits.maxTopicsPerMessage = 50
limits.newConnections = .init(connections: 16, per: .seconds(10))
limits.connectionSpacing = .milliseconds(20)

var config = WebSocketConfiguration()
config.subscriptionFormat = .binance
config.reconnectStrategy = .fixedDelay
config.reconnectDelay = .milliseconds(50)

let pool = WebSocketPool(url: server.url("/topics?rate=1"), configuration: config, limits: limits)
let topics = (0..<5_000).map { "sym\($0)@trade" }

/// What the application received: the sequence numbers per topic.
let received = Mutex<[String: [Int]]>([:])
let reader = Task {
    for try await item in pool.stream() {
        guard let object = try? JSONSerialization.jsonObject(with: Data(item.message.bytes)) as? [String: Any],
            let topic = object["topic"] as? String, let seq = object["seq"] as? Int
        else { continue }
        received.withLock { $0[topic, default: []].append(seq) }
    }
}

/// Waits (bounded) until `condition` holds; on the main actor, where the conditions are made.
@MainActor
func wait(_ what: String, _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(30)
    while !condition() {
        guard ContinuousClock.now < deadline else {
            print("gave up waiting for \(what)")
            exit(1)
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}

func everyTopicFlows() -> Bool { received.withLock { $0.count } == topics.count }

let start = ContinuousClock.now
try await pool.subscribe(topics)
print("subscribed \(topics.count) topics over \(pool.shardCount) shards in \(ContinuousClock.now - start)")
try await wait("every topic") { everyTopicFlows() }

print("storm: the server restarts every connection at once (close 1012)")
let stormAt = ContinuousClock.now
let before = received.withLock { $0.mapValues(\.count) }
server.closeAllConnections(code: 1012, reason: "service restart")
try await wait("every shard back and every topic flowing again") {
    pool.stats.connectedShards == pool.shardCount && pool.stats.reconnects >= pool.shardCount
        && received.withLock { now in topics.allSatisfy { now[$0, default: []].count > before[$0, default: 0] } }
}
print("restored every subscription in \(ContinuousClock.now - stormAt)")

server.pauseTopics(true)
try await wait("every message the server wrote") {
    received.withLock { $0.mapValues(\.count) } == server.topicMessagesSent
}
let stats = pool.stats
await pool.close()
reader.cancel()

let sent = server.topicMessagesSent.values.reduce(0, +)
let counts = received.withLock { $0 }
let got = counts.values.reduce(0) { $0 + $1.count }
let duplicates = counts.values.filter { Set($0).count != $0.count }.count
let peaks = server.limitPeaks
print("")
print("limits (peak seen by the server / exchange limit):")
print("  streams per connection   \(peaks.streamsPerConnection) / \(exchange.maxStreamsPerConnection!)")
print("  messages per second      \(peaks.messagesPerSecond) / \(exchange.maxIncomingMessagesPerSecond!)")
print("  topics per message       \(peaks.topicsPerMessage) / \(exchange.maxTopicsPerMessage!)")
print("  new connections per 10 s \(peaks.newConnectionsPerWindow) / \(exchange.maxNewConnectionsPerWindow!)")
print("  violations               \(server.limitViolations.count)")
print("messages: server wrote \(sent), application received \(got), duplicates \(duplicates)")
print("shards:")
for shard in stats.shards {
    let s = shard.stats
    print(
        "  #\(shard.id) topics=\(shard.topics) connects=\(s.connects) reconnects=\(s.reconnects) "
            + "received=\(s.messagesReceived) sent=\(s.messagesSent) rateWait=\(s.outgoingRateWait)")
}
print(
    "pool: connections opened=\(stats.connectionsOpened) window wait=\(stats.connectionWindowWait) "
        + "stagger wait=\(stats.staggerWait)")
server.stop()
let ok = server.limitViolations.isEmpty && sent == got && duplicates == 0
print(ok ? "OK: no limit broken, nothing lost" : "FAILED")
exit(ok ? 0 : 1)
