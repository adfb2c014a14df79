// TopicsBehavior: /topics, an exchange-style feed of per-topic numbered messages under limits.
//
// A client subscribes to topics (the /ticker dialects, several topics per request in the
// Binance style) and gets `{"topic":"T","seq":n}` for each subscribed topic `rate` times per
// second, n counting per topic over the whole server, so a topic that moves to another
// connection keeps its numbering. The connection enforces the ExchangeLimits that concern one
// connection, and credits every message it completely wrote to the ledger: what a client must
// have received is exactly what was credited.
import DequeModule
import Foundation

final class TopicsBehavior: ConnectionBehavior {
    private let options: TopicsOptions
    private let ledger: ExchangeLedger
    private let address: String
    private let clock = ContinuousClock()
    /// The topics subscribed, in subscription order.
    private var topics: [String] = []
    private var topicSet: Set<String> = []
    /// When the messages of the last second arrived, oldest first.
    private var arrivals = Deque<ContinuousClock.Instant>()
    /// The topic of every queued message not yet credited, `nil` for an acknowledgement.
    private var unsettled = Deque<String?>()
    /// Messages of this connection completely written and already credited.
    private var settled = 0
    private var violated = false

    init(options: TopicsOptions, ledger: ExchangeLedger, address: String) {
        self.options = options
        self.ledger = ledger
        self.address = address
    }

    func didOpen(_ connection: ServerConnection) {
        connection.setTimer(microseconds: options.tickMicroseconds)
    }

    func timerFired(_ connection: ServerConnection) {
        settle(connection)
        if !violated, !ledger.paused.load(ordering: .relaxed) {
            for topic in topics {
                send(
                    "{\"topic\":\(JSONText.quoted(topic)),\"seq\":\(ledger.nextSequence(of: topic))}", topic, connection
                )
            }
        }
        connection.setTimer(microseconds: options.tickMicroseconds)
    }

    func didReceive(_ message: PayloadBuffer, isBinary: Bool, on connection: ServerConnection) {
        settle(connection)
        guard !violated else { return }
        let limits = ledger.limits
        let now = clock.now
        arrivals.append(now)
        while let first = arrivals.first, now - first >= .seconds(1) { arrivals.removeFirst() }
        ledger.observe { $0.messagesPerSecond = max($0.messagesPerSecond, arrivals.count) }
        if let limit = limits.maxIncomingMessagesPerSecond, arrivals.count > limit {
            return violate(.messagesPerSecond, "too many requests: over \(limit) per second", connection)
        }
        guard !isBinary, let request = TickerRequest(text: String(decoding: message.bytes, as: UTF8.self)) else {
            return
        }
        ledger.observe { $0.topicsPerMessage = max($0.topicsPerMessage, request.channels.count) }
        if let limit = limits.maxTopicsPerMessage, request.channels.count > limit {
            return violate(.topicsPerMessage, "too many topics in one request: over \(limit)", connection)
        }
        switch request.action {
        case .subscribe:
            let added = request.channels.filter { topicSet.insert($0).inserted }
            topics += added
            ledger.carry(added, 1)
        case .unsubscribe:
            let removed = Set(request.channels).intersection(topicSet)
            topicSet.subtract(removed)
            topics.removeAll { removed.contains($0) }
            ledger.carry(Array(removed), -1)
        }
        ledger.observe { $0.streamsPerConnection = max($0.streamsPerConnection, topics.count) }
        if let limit = limits.maxStreamsPerConnection, topics.count > limit {
            return violate(.streamsPerConnection, "too many streams: over \(limit) per connection", connection)
        }
        for reply in request.replies { send(reply, nil, connection) }
    }

    func didClose(_ connection: ServerConnection) {
        settle(connection)
        ledger.carry(topics, -1)
        topics = []
        topicSet = []
    }

    private func send(_ text: String, _ topic: String?, _ connection: ServerConnection) {
        unsettled.append(topic)
        connection.send(text: text)
    }

    /// Credits the messages written since the last call; those still queued when the connection
    /// ends were never sent.
    private func settle(_ connection: ServerConnection) {
        var credited: [String] = []
        while settled < connection.messagesWritten, let topic = unsettled.popFirst() {
            settled += 1
            if let topic { credited.append(topic) }
        }
        ledger.credit(credited)
    }

    private func violate(_ limit: LimitViolation.Limit, _ reason: String, _ connection: ServerConnection) {
        violated = true
        ledger.record(LimitViolation(limit: limit, address: address, reason: reason))
        connection.close(code: LimitViolation.closeCode, reason: reason, afterQueued: false)
    }
}

/// Query parameters of `/topics?rate=R`.
struct TopicsOptions: Equatable {
    /// Messages per second per subscribed topic, in 0.01...1000 (default 1).
    var rate: Double = 1

    init(rate: Double = 1) {
        self.rate = min(max(rate, 0.01), 1000)
    }

    init(query: [String: String]) {
        self.init(rate: query["rate"].flatMap { Double($0) }.flatMap { $0.isFinite ? $0 : nil } ?? 1)
    }

    var tickMicroseconds: Int64 { max(1_000, Int64(1_000_000 / rate)) }
}
