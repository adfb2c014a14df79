// Enforces the one-iterator-at-a-time rule of a manager's stream, and holds what that iterator
// took from the inbox but has not returned yet.
import Synchronization

/// Whether an iterator holds the manager's stream.
@usableFromInline final class IteratorClaim: Sendable {
    private let held = Mutex(false)

    /// Held by a live iterator (and its copies). It takes queued messages in batches, one lock
    /// per batch instead of one per message, and gives back the ones not yet returned when the
    /// iterator goes away, so a loop that breaks early loses nothing.
    @usableFromInline final class Lease {
        private let claim: IteratorClaim
        /// The manager's inbox, whose messages this lease takes in batches; `nil` for a stream
        /// that only needs the one-iterator rule (the pool's).
        private let inbox: Inbox?
        private var taken: [WebSocketMessage] = []
        private var takenIndex = 0

        /// The most messages taken in one go: enough to amortize the lock, few enough that a
        /// batch is a small part of any sensible queue size.
        static let batchSize = 64

        fileprivate init(_ claim: IteratorClaim, inbox: Inbox?) {
            self.claim = claim
            self.inbox = inbox
        }

        deinit {
            inbox?.giveBack(Array(taken[takenIndex...]))
            claim.held.withLock { $0 = false }
        }

        /// The next message without waiting: one taken earlier, or the first of a new batch;
        /// `.some(nil)` when the stream ended normally; `nil` when the caller must wait.
        @usableFromInline func nextQueued(reporting metrics: ManagerMetrics?) throws -> WebSocketMessage?? {
            if takenIndex < taken.count {
                takenIndex += 1
                return taken[takenIndex - 1]
            }
            taken = []
            takenIndex = 0
            guard let inbox, let batch = try inbox.takeQueued(upTo: Self.batchSize) else { return nil }
            metrics?.queueDepth.record(inbox.depth)
            guard let first = batch.first else { return .some(nil) }
            taken = batch
            takenIndex = 1
            return first
        }
    }

    /// A lease when no iterator holds the stream; `inbox`, when given, is read through it in batches.
    func acquire(for inbox: Inbox? = nil) -> Lease? {
        let taken = held.withLock { held -> Bool in
            if held { return false }
            held = true
            return true
        }
        return taken ? Lease(self, inbox: inbox) : nil
    }
}
