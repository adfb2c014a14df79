// ExchangeLedger: what the exchange-style endpoint saw, readable from any thread.
import Synchronization

/// The limits' violations and peaks, and the per-topic sequence numbers and sent counts of
/// `/topics`. Written on the service thread, read by tests from any thread.
final class ExchangeLedger: Sendable {
    struct Peaks: Sendable, Equatable {
        var streamsPerConnection = 0
        var messagesPerSecond = 0
        var topicsPerMessage = 0
        var newConnectionsPerWindow = 0
    }

    private struct State {
        var violations: [LimitViolation] = []
        var peaks = Peaks()
        /// The last sequence number produced per topic.
        var sequences: [String: Int] = [:]
        /// Messages per topic completely written to a client.
        var sent: [String: Int] = [:]
        /// Topics subscribed now, over all connections, with how many connections carry each.
        var subscribed: [String: Int] = [:]
    }

    let limits: ExchangeLimits
    private let state = Mutex(State())
    /// While set, `/topics` produces nothing (acknowledgements still go out).
    let paused = Atomic<Bool>(false)

    init(limits: ExchangeLimits) {
        self.limits = limits
    }

    var violations: [LimitViolation] { state.withLock { $0.violations } }
    var peaks: Peaks { state.withLock { $0.peaks } }
    var sent: [String: Int] { state.withLock { $0.sent } }
    var subscribed: [String: Int] { state.withLock { $0.subscribed } }

    func record(_ violation: LimitViolation) {
        state.withLock { $0.violations.append(violation) }
    }

    func observe(_ update: (inout Peaks) -> Void) {
        state.withLock { update(&$0.peaks) }
    }

    /// The next sequence number of `topic`.
    func nextSequence(of topic: String) -> Int {
        state.withLock { state in
            let next = (state.sequences[topic] ?? 0) + 1
            state.sequences[topic] = next
            return next
        }
    }

    /// Counts messages of `topics` that were completely written.
    func credit(_ topics: [String]) {
        guard !topics.isEmpty else { return }
        state.withLock { state in
            for topic in topics { state.sent[topic, default: 0] += 1 }
        }
    }

    /// A connection started (`+1`) or stopped (`-1`) carrying `topics`.
    func carry(_ topics: [String], _ delta: Int) {
        state.withLock { state in
            for topic in topics {
                let count = (state.subscribed[topic] ?? 0) + delta
                state.subscribed[topic] = count > 0 ? count : nil
            }
        }
    }
}
