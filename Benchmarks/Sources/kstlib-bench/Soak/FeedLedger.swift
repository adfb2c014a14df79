// FeedLedger: the soak client's account of the numbered feed it consumed: how many messages,
// which arrived twice (or out of order), and where numbers are missing.
//
// Within one server incarnation the feed's numbers only go up, and the client is the feed's only
// subscriber, so it receives n = 1, 2, 3... for as long as its connection lasts. Hence:
// - a number at or below the last one seen of its incarnation, or one from an older incarnation
//   than the current one, was delivered twice or out of order: a `duplicate`, which fails the soak;
// - a number above the next expected one leaves a `gap` (the messages in it are `missed`): a
//   connection lost to a live server (the feed runs on while the client reconnects) or a
//   client the server dropped for falling 100,000 messages behind. The first message of an
//   incarnation is expected to be 1.
// Messages a server produced but could not send before it was killed cannot be seen by the client
// and are not counted anywhere: that loss is the point of killing it.

struct FeedLedger: Sendable {
    /// Feed messages consumed.
    private(set) var messages = 0
    /// Messages delivered a second time or out of order (see the file header).
    private(set) var duplicates = 0
    /// Holes in the numbering of an incarnation.
    private(set) var gaps = 0
    /// Messages in those holes.
    private(set) var missed = 0
    /// Server incarnations the client received at least one message from.
    private(set) var incarnationsSeen = 0
    /// Incarnations skipped entirely between two that were seen.
    private(set) var incarnationsSkipped = 0
    /// Messages that were not feed messages (the feed never sends any).
    private(set) var foreign = 0
    /// The longest time between two consecutive messages: how long a kill, the restart and the
    /// reconnect kept the client without data at worst.
    private(set) var longestSilence: Duration = .zero
    /// The first duplicate, for the report: (the number that came again, the last one before it).
    private(set) var firstDuplicate: (repeated: FeedSequenceNumber, after: FeedSequenceNumber)?

    /// The last number accepted.
    private var last: FeedSequenceNumber?
    /// When the previous message was consumed.
    private var lastArrival: ContinuousClock.Instant?

    /// Accounts for one feed message consumed at `arrival`.
    mutating func record(_ number: FeedSequenceNumber, at arrival: ContinuousClock.Instant) {
        noteArrival(arrival)
        messages += 1
        guard let previous = last, number.incarnation <= previous.incarnation else {
            // The first message, or the first of a newer incarnation.
            if let last {
                incarnationsSkipped += number.incarnation - last.incarnation - 1
            }
            incarnationsSeen += 1
            noteHole(from: 0, to: number.n)
            last = number
            return
        }
        guard number.incarnation == previous.incarnation, number.n > previous.n else {
            duplicates += 1
            if firstDuplicate == nil { firstDuplicate = (number, previous) }
            return
        }
        noteHole(from: previous.n, to: number.n)
        last = number
    }

    /// Accounts for a message that carried no feed number.
    mutating func recordForeign(at arrival: ContinuousClock.Instant) {
        noteArrival(arrival)
        messages += 1
        foreign += 1
    }

    private mutating func noteArrival(_ arrival: ContinuousClock.Instant) {
        if let lastArrival {
            longestSilence = max(longestSilence, arrival - lastArrival)
        }
        lastArrival = arrival
    }

    /// `next` followed `previous` in the same incarnation: anything between them is missing.
    private mutating func noteHole(from previous: Int, to next: Int) {
        guard next > previous + 1 else { return }
        gaps += 1
        missed += next - previous - 1
    }
}
