// Enforces the one-iterator-at-a-time rule of a manager's stream, and holds what that iterator
// took from the inbox but has not returned yet.
import Synchronization

/// Whether an iterator holds the manager's stream.
@usableFromInline final class IteratorClaim: Sendable {
    private let held = Mutex(false)
    /// The live lease, so that `receive()` can put back what it took before reading.
    private let current = Mutex(WeakLease())

    private struct WeakLease: Sendable {
        weak var lease: Lease?
    }

    /// Held by a live iterator (and its copies). It takes queued messages in batches, one lock
    /// per batch instead of one per message, and gives back the ones not yet returned when the
    /// iterator goes away, or when `receive()` reads meanwhile, so nothing is lost or reordered.
    @usableFromInline final class Lease: Sendable {
        private struct Batch {
            var messages: [WebSocketMessage] = []
            var index = 0
        }
        private let claim: IteratorClaim
        /// The manager's inbox, whose messages this lease takes in batches; `nil` for a stream
        /// that only needs the one-iterator rule (the pool's).
        private let inbox: Inbox?
        /// Its own lock: uncontended but for a `receive()` racing the iterator.
        private let batch = Mutex(Batch())
        /// At most a quarter of the queue, so a batch never hides much of it from the
        /// overflow policy and from backpressure's "half empty".
        private let batchSize: Int

        static let largestBatch = 64

        fileprivate init(_ claim: IteratorClaim, inbox: Inbox?) {
            self.claim = claim
            self.inbox = inbox
            let capacity = inbox?.capacity ?? 0
            batchSize = capacity > 0 ? max(1, min(Self.largestBatch, capacity / 4)) : Self.largestBatch
        }

        deinit {
            returnUntaken()
            claim.held.withLock { $0 = false }
        }

        /// Puts the messages taken and not yet returned back in front of the inbox.
        func returnUntaken() {
            guard let inbox else { return }
            batch.withLock { batch in
                guard batch.index < batch.messages.count else { return }
                inbox.giveBack(Array(batch.messages[batch.index...]))
                batch = Batch()
            }
        }

        /// The next message without waiting: one taken earlier, or the first of a new batch;
        /// `.some(nil)` when the stream ended normally; `nil` when the caller must wait.
        @usableFromInline func nextQueued(reporting metrics: ManagerMetrics?) throws -> WebSocketMessage?? {
            guard let inbox else { return nil }
            let size = batchSize
            return try batch.withLock { batch throws -> WebSocketMessage?? in
                if batch.index < batch.messages.count {
                    // An overflow under `.fail` is thrown by the next call: what is held goes back.
                    if !inbox.overflowPending {
                        batch.index += 1
                        return batch.messages[batch.index - 1]
                    }
                    inbox.giveBack(Array(batch.messages[batch.index...]))
                }
                batch = Batch()
                guard let (taken, depth) = try inbox.takeQueued(upTo: size) else { return nil }
                guard let first = taken.first else { return .some(nil) }
                // What the lease holds still waits for the consumer.
                metrics?.queueDepth.record(depth + taken.count - 1)
                batch.messages = taken
                batch.index = 1
                return first
            }
        }
    }

    /// A lease when no iterator holds the stream; `inbox`, when given, is read through it in batches.
    func acquire(for inbox: Inbox? = nil) -> Lease? {
        let taken = held.withLock { held -> Bool in
            if held { return false }
            held = true
            return true
        }
        guard taken else { return nil }
        let lease = Lease(self, inbox: inbox)
        current.withLock { $0.lease = lease }
        return lease
    }

    /// Before `receive()` reads: a live iterator's untaken batch goes back in front.
    func returnLeased() {
        current.withLock { $0.lease }?.returnUntaken()
    }
}
