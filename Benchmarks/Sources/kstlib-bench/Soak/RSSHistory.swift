// RSSHistory: the soak's VmRSS readings, one per second, and the medians over a window of them,
// which the verdict compares: a single reading moves with what the queue and the allocator hold
// at that instant, a median over several seconds does not.

struct RSSHistory: Sendable {
    /// (elapsed seconds, VmRSS in kB), in time order.
    private(set) var readings: [(second: Int, rssKB: Int)] = []

    init(capacity: Int) {
        readings.reserveCapacity(capacity)
    }

    mutating func add(second: Int, rssKB: Int) {
        readings.append((second, rssKB))
    }

    /// The median of the readings taken in `seconds` (elapsed seconds, both ends included); nil
    /// when none was.
    func medianKB(in seconds: ClosedRange<Int>) -> Double? {
        let window = readings.filter { seconds.contains($0.second) }.map { Double($0.rssKB) }
        return window.isEmpty ? nil : Statistics.median(window)
    }

    /// The highest reading.
    var peakKB: Int { readings.map(\.rssKB).max() ?? 0 }
}
