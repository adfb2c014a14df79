// Enforces the one-iterator-at-a-time rule of a manager's stream.
import Synchronization

/// Who holds a manager's stream: at most one live iterator.
///
/// An iterator takes a ``Lease`` when it is made and gives it back when it is destroyed (its
/// `for` loop ended), so the rule follows the iterator's lifetime, not one loop's success.
final class IteratorClaim: Sendable {
    private let held = Mutex(false)

    /// Returned to the claim when the iterator that holds it is destroyed.
    final class Lease: Sendable {
        private let claim: IteratorClaim
        fileprivate init(_ claim: IteratorClaim) { self.claim = claim }
        deinit { claim.held.withLock { $0 = false } }
    }

    /// A lease when nobody holds the stream, `nil` when another iterator is alive.
    func acquire() -> Lease? {
        let taken = held.withLock { held -> Bool in
            if held { return false }
            held = true
            return true
        }
        return taken ? Lease(self) : nil
    }
}
