// FeedBehavior and FeedBroadcaster: /feed, one numbered sequence per server, broadcast to every
// /feed connection.
//
// The FeedBroadcaster belongs to the ServerLoop and lives on its service thread. It keeps the
// server's single counter and one ContextTimer on the context (not on any connection, so
// the feed does not depend on which connection joined first or is still open). At each tick it
// produces every message that is due, `floor(elapsed * rate)` since the feed (re)started, which
// keeps the rate exact at high R even though lws's poll granularity is a millisecond. Each
// message is built once, as one PayloadBuffer shared by every connection's send queue, so a slow
// connection only grows its own queue; one whose backlog exceeds `maxPendingMessages` is dropped.
//
// Pacing policy:
// - The feed runs while at least one /feed connection is open. The connection that starts it
//   (the first to join while none is open) sets the rate; the `rate` of later joiners is ignored
//   while it runs.
// - When the last /feed connection leaves, the feed pauses. The counter is never reset: the next
//   run continues with n + 1, at the rate of the connection that restarts it.
// - A connection receives exactly the messages produced while it is on the feed, in order.
import Foundation
import Synchronization

/// One /feed connection: joins the server's feed when it opens, leaves it when it closes, and
/// acknowledges subscription requests the way /ticker does.
final class FeedBehavior: ConnectionBehavior {
    private let options: FeedOptions
    private let broadcaster: FeedBroadcaster

    init(options: FeedOptions, broadcaster: FeedBroadcaster) {
        self.options = options
        self.broadcaster = broadcaster
    }

    func didOpen(_ connection: ServerConnection) {
        broadcaster.join(connection, rate: options.rate)
    }

    func didClose(_ connection: ServerConnection) {
        broadcaster.leave(connection)
    }

    func didReceive(_ message: PayloadBuffer, isBinary: Bool, on connection: ServerConnection) {
        guard !isBinary, let request = TickerRequest(text: String(decoding: message.bytes, as: UTF8.self)) else {
            return
        }
        for reply in request.replies {
            connection.send(text: reply)
        }
    }
}

/// The server-wide feed: the counter, the subscribers and the pacing timer.
/// Service thread only, except `statistics.feedSequence`, which is atomic.
final class FeedBroadcaster {
    /// A connection with more messages than this waiting to be sent is dropped.
    static let maxPendingMessages = 100_000
    /// Shortest timer period: at higher rates a tick produces several messages.
    private static let minimumTickMicroseconds: Int64 = 1_000
    /// Longest timer period, so even a very low rate re-evaluates now and then.
    private static let maximumTickMicroseconds: Int64 = 1_000_000
    /// Messages produced per tick at most (one second at the highest rate); the rest stay due and
    /// are produced at the next ticks, so the sequence never skips.
    private static let maxPerTick = Int(FeedOptions.maxRate)

    private let context: OpaquePointer
    private let statistics: ServerStatistics
    private let clock = ContinuousClock()
    /// The origin of the `ts` field.
    private let serverStart: ContinuousClock.Instant
    private var timer: ContextTimer?

    /// The last n produced.
    private var sequence = 0
    /// Open /feed connections, by identity.
    private var subscribers: [ObjectIdentifier: ServerConnection] = [:]
    /// The rate of the current run.
    private var rate = FeedOptions.defaultRate
    /// When the current run started, and the counter at that moment.
    private var runStart: ContinuousClock.Instant
    private var runBase = 0
    private var isRunning = false
    private var isStopped = false

    /// `context` is the server's context, `serverStart` the origin of `ts`, `firstSequence` the
    /// counter before the first message (the server's `feedSequenceStart`).
    init(
        context: OpaquePointer, statistics: ServerStatistics, serverStart: ContinuousClock.Instant,
        firstSequence: Int = 0
    ) {
        self.context = context
        self.statistics = statistics
        self.serverStart = serverStart
        runStart = serverStart
        sequence = firstSequence
        runBase = firstSequence
        statistics.feedSequence.store(firstSequence, ordering: .relaxed)
    }

    /// Adds `connection` to the feed; it gets every message produced from now on. Starts the feed
    /// at `rate` if it is paused.
    func join(_ connection: ServerConnection, rate requestedRate: Double) {
        guard !isStopped else { return }
        subscribers[ObjectIdentifier(connection)] = connection
        guard !isRunning else { return }
        isRunning = true
        rate = requestedRate
        runStart = clock.now
        runBase = sequence
        armTimer()
    }

    /// Removes `connection`; pauses the feed when it was the last one.
    func leave(_ connection: ServerConnection) {
        guard subscribers.removeValue(forKey: ObjectIdentifier(connection)) != nil else { return }
        if subscribers.isEmpty {
            pause()
        }
    }

    /// Cancels the timer and forgets the subscribers, for good. Call before the context is
    /// destroyed: lws must not hold the timer once the context (and this object) are gone.
    func stop() {
        isStopped = true
        pause()
        subscribers.removeAll()
        timer = nil
    }

    /// The timer's callback.
    private func timerFired() {
        guard isRunning, !isStopped else { return }
        produceDueMessages()
        armTimer()
    }

    // MARK: Producing

    private func pause() {
        isRunning = false
        timer?.cancel()
    }

    private func produceDueMessages() {
        let now = clock.now
        let due = runBase + Int((Double(Self.microseconds(now - runStart)) * rate / 1e6).rounded(.down))
        let count = min(due - sequence, Self.maxPerTick)
        guard count > 0 else { return }

        let timestamp = Self.seconds(microseconds: Self.microseconds(now - serverStart))
        var messages: [PayloadBuffer] = []
        messages.reserveCapacity(count)
        for _ in 0..<count {
            sequence += 1
            messages.append(PayloadBuffer(text: "{\"seq\":\(sequence),\"ts\":\(timestamp)}"))
        }
        statistics.feedSequence.store(sequence, ordering: .relaxed)

        var overflowing: [ObjectIdentifier] = []
        for (id, connection) in subscribers {
            for message in messages {
                connection.send(message, isBinary: false)
                if connection.pendingMessages > Self.maxPendingMessages {
                    overflowing.append(id)
                    break
                }
            }
        }
        for id in overflowing {
            // drop() closes the socket on the next service pass; CLOSED then calls leave(), which
            // finds nothing left to remove.
            subscribers.removeValue(forKey: id)?.drop()
        }
        if subscribers.isEmpty {
            pause()
        }
    }

    /// Schedules the next tick at the time the next message is due (at least 1 ms away).
    private func armTimer() {
        guard isRunning, !isStopped else { return }
        let elapsed = Self.microseconds(clock.now - runStart)
        let next = Double(sequence - runBase + 1)
        let dueAt = Int64((next * 1e6 / rate).rounded(.up))
        let delay = min(max(dueAt - elapsed, Self.minimumTickMicroseconds), Self.maximumTickMicroseconds)
        if timer == nil {
            timer = ContextTimer { [unowned self] in self.timerFired() }
        }
        timer?.schedule(on: context, microseconds: delay)
    }

    private static func microseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }

    /// `microseconds` as seconds with exactly six decimals, e.g. `12.000340`.
    static func seconds(microseconds: Int64) -> String {
        let fraction = String(microseconds % 1_000_000)
        return "\(microseconds / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }
}
