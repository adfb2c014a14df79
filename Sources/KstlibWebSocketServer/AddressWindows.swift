// AddressWindows: new connections per address per window, for ExchangeLimits.
import DequeModule

/// When each address opened its recent connections. Service thread only.
struct AddressWindows {
    let window: Duration
    private var openings: [String: Deque<ContinuousClock.Instant>] = [:]

    init(window: Duration) {
        self.window = window
    }

    /// Records a connection from `address` at `now`; returns how many the window now holds.
    mutating func open(from address: String, at now: ContinuousClock.Instant) -> Int {
        var times = openings[address] ?? []
        while let first = times.first, now - first >= window { times.removeFirst() }
        times.append(now)
        openings[address] = times
        return times.count
    }
}
