// TickerBehavior: /ticker, a market-data style stream of JSON quotes.
//
// Quotes look like {"seq":1,"symbol":"BTCUSDT","price":42000.5,"ts":1732550000.123}; seq
// starts at 1 per connection. With a rate, a per-connection lws timer paces them; with rate 0
// they are produced whenever the socket can take more (from WRITEABLE). Subscribed channels
// are added to quotes round-robin as "channel":"X".
import Foundation

final class TickerBehavior: ConnectionBehavior {
    /// Shortest timer period: faster rates send several quotes per tick.
    private static let minimumTickMicroseconds: Int64 = 1_000
    /// A paced client that does not read gets no more than this many quotes queued; the rest
    /// are skipped (seq stays contiguous: it counts quotes actually produced).
    private static let maxBacklog = 1_000
    /// Quotes produced per tick at most, to keep one tick short.
    private static let maxPerTick = 1_000

    private let options: TickerOptions
    private let clock = ContinuousClock()
    private var startedAt: ContinuousClock.Instant
    /// Quote slots consumed so far (sent or skipped); drives the pacing.
    private var slotsUsed = 0
    /// The last seq sent.
    private var seq = 0
    private var priceCents = 4_200_050
    private var channels: [String] = []
    private var nextChannel = 0
    private var finished = false

    init(options: TickerOptions) {
        self.options = options
        startedAt = clock.now
    }

    func didOpen(_ connection: ServerConnection) {
        startedAt = clock.now
        if options.rate > 0 {
            produceDueQuotes(on: connection)
            if !finished {
                connection.setTimer(microseconds: tickMicroseconds)
            }
        } else {
            connection.requestWriteable()
        }
    }

    func timerFired(_ connection: ServerConnection) {
        guard !finished else { return }
        produceDueQuotes(on: connection)
        if !finished {
            connection.setTimer(microseconds: tickMicroseconds)
        }
    }

    func refill(_ connection: ServerConnection) -> Bool {
        guard options.rate == 0, !finished else { return false }
        sendQuote(on: connection)
        return true
    }

    func didReceive(_ message: PayloadBuffer, isBinary: Bool, on connection: ServerConnection) {
        guard !isBinary, let request = TickerRequest(text: String(decoding: message.bytes, as: UTF8.self)) else {
            return
        }
        for channel in request.channels {
            switch request.action {
            case .subscribe:
                if !channels.contains(channel) { channels.append(channel) }
            case .unsubscribe:
                channels.removeAll { $0 == channel }
            }
        }
        for reply in request.replies {
            connection.send(text: reply)
        }
    }

    // MARK: Producing quotes

    private var tickMicroseconds: Int64 {
        max(Self.minimumTickMicroseconds, Int64(1_000_000 / options.rate))
    }

    /// Produces the quotes that are due by now: one immediately at start, then `rate` per second.
    private func produceDueQuotes(on connection: ServerConnection) {
        let elapsed = clock.now - startedAt
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let due = Int(seconds * options.rate) + 1
        var owed = due - slotsUsed
        guard owed > 0 else { return }
        if connection.queuedMessages > Self.maxBacklog {
            slotsUsed = due
            return
        }
        owed = min(owed, Self.maxPerTick)
        for _ in 0..<owed where !finished {
            slotsUsed += 1
            sendQuote(on: connection)
        }
    }

    private func sendQuote(on connection: ServerConnection) {
        seq += 1
        connection.send(text: quote())
        if options.count > 0, seq >= options.count {
            finished = true
            connection.close(code: 1000, reason: "", afterQueued: true)
        }
    }

    private func quote() -> String {
        // A bounded random walk: "varies a little" around 42,000.
        priceCents += Int.random(in: -500...500)
        priceCents = min(max(priceCents, 4_100_000), 4_300_000)
        let price = Double(priceCents) / 100
        let milliseconds = (Date().timeIntervalSince1970 * 1000).rounded()
        let timestamp = milliseconds / 1000
        var json = "{\"seq\":\(seq),\"symbol\":\(JSONText.quoted(options.symbol))"
        if !channels.isEmpty {
            nextChannel %= channels.count
            json += ",\"channel\":\(JSONText.quoted(channels[nextChannel]))"
            nextChannel += 1
        }
        json += ",\"price\":\(price),\"ts\":\(timestamp)}"
        return json
    }
}
