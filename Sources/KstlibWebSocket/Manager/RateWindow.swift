// The arithmetic of the outgoing rate: when the next message may go.
import DequeModule

/// The times of the last `limit` sends; a new send may go once the oldest of them is `per` old.
///
/// A value type over plain durations (time since the pacer started) so the rule can be checked
/// without a clock: in any window of length `per` there are at most `limit` sends.
struct RateWindow: Sendable {
    let limit: Int
    let per: Duration
    /// When the last sends went, oldest first; never more than `limit`.
    private var sends: Deque<Duration> = []

    init(limit: Int, per: Duration) {
        self.limit = max(1, limit)
        self.per = per
    }

    /// Records a send at `now` and returns `nil` when one may go; otherwise records nothing and
    /// returns how long until one may.
    mutating func take(at now: Duration) -> Duration? {
        if sends.count == limit {
            let wait = sends[0] + per - now
            guard wait <= .zero else { return wait }
            sends.removeFirst()
        }
        sends.append(now)
        return nil
    }
}
