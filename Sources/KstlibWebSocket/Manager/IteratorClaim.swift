// Enforces the one-iterator-at-a-time rule of a manager's stream, and holds what that iterator
// took from the inbox but has not returned yet.
import Synchronization

/// Whether an iterator holds the manager's stream.
@usableFromInline final class IteratorClaim: Sendable {
    private let held = Mutex(false)
    /// The live iterator's batch, so that `receive()` can put back what it took before reading.
    /// Held strongly and cleared by the lease: a weak reference would put every retain of the
    /// lease (one per message, in the caller's loop) on the runtime's slow path.
    private let current = Mutex<TakenBatch?>(nil)

    /// Messages an iterator took from the inbox in one lock and returns one by one.
    @usableFromInline final class TakenBatch: Sendable {
        private struct Batch {
            var messages: [WebSocketMessage] = []
            var index = 0
        }
        private let inbox: Inbox
        /// Its own lock: uncontended but for a `receive()` racing the iterator.
        private let batch = Mutex(Batch())
        /// At most a quarter of the queue, so a batch never hides much of it from the
        /// overflow policy and from backpressure's "half empty".
        private let size: Int

        static let largestBatch = 64

        init(_ inbox: Inbox) {
            self.inbox = inbox
            size = inbox.capacity > 0 ? max(1, min(Self.largestBatch, inbox.capacity / 4)) : Self.largestBatch
        }

        /// Puts the messages taken and not yet returned back in front of the inbox.
        func returnUntaken() {
            batch.withLock { batch in
                guard batch.index < batch.messages.count else { return }
                inbox.giveBack(Array(batch.messages[batch.index...]))
                batch = Batch()
            }
        }

        /// The next message without waiting: one taken earlier, or the first of a new batch;
        /// `.some(nil)` when the stream ended normally; `nil` when the caller must wait.
        @usableFromInline func next(reporting metrics: ManagerMetrics?) throws -> WebSocketMessage?? {
            try batch.withLock { batch throws -> WebSocketMessage?? in
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
                // What the iterator holds still waits for the consumer.
                metrics?.queueDepth.record(depth + taken.count - 1)
                batch.messages = taken
                batch.index = 1
                return first
            }
        }
    }

    /// Held by a live iterator (and its copies). It reads the inbox through a ``TakenBatch``,
    /// one lock per batch instead of one per message, and gives back the messages not yet
    /// returned when the iterator goes away (or when `receive()` reads meanwhile), so nothing is
    /// lost or reordered.
    @usableFromInline final class Lease: Sendable {
        private let claim: IteratorClaim
        /// `nil` for a stream that only needs the one-iterator rule (the pool's).
        @usableFromInline let taken: TakenBatch?

        fileprivate init(_ claim: IteratorClaim, taken: TakenBatch?) {
            self.claim = claim
            self.taken = taken
        }

        deinit {
            taken?.returnUntaken()
            claim.current.withLock { $0 = nil }
            claim.held.withLock { $0 = false }
        }

        /// The next message without waiting (see ``TakenBatch/next(reporting:)``).
        @inlinable func nextQueued(reporting metrics: ManagerMetrics?) throws -> WebSocketMessage?? {
            guard let taken else { return nil }
            return try taken.next(reporting: metrics)
        }
    }

    /// A lease when no iterator holds the stream; `inbox`, when given, is read through it in batches.
    func acquire(for inbox: Inbox? = nil) -> Lease? {
        let acquired = held.withLock { held -> Bool in
            if held { return false }
            held = true
            return true
        }
        guard acquired else { return nil }
        let taken = inbox.map(TakenBatch.init)
        current.withLock { $0 = taken }
        return Lease(self, taken: taken)
    }

    /// Before `receive()` reads: a live iterator's untaken batch goes back in front.
    func returnLeased() {
        current.withLock { $0 }?.returnUntaken()
    }
}
