// Send-side flow control of one connection: who may put bytes in its outgoing buffer, and when.
import DequeModule
import Synchronization

/// Admits outgoing frames into one connection's buffer, in call order, while the buffer is
/// below its high watermark; suspends the senders above it until the network drains it to the
/// low watermark.
///
/// Every frame enters the connection under this gate's lock, so the order of the frames on the
/// wire is the order in which `send` was called, whether a sender waited or not. A sender that
/// gives up (timeout, cancellation) leaves the queue with its frame unsent: nothing accepted is
/// ever dropped or reordered.
final class SendGate: Sendable {
    private struct Waiter {
        let id: Int
        let frame: OutgoingFrame
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var connection: LWSConnection?
        var waiters: Deque<Waiter> = []
        /// The buffer reached the high watermark and has not drained to the low one since.
        var paused = false
        var ended = false
        var nextID = 0
    }

    private let state = Mutex(State())
    private let high: Int
    private let low: Int

    init(_ limits: WebSocketConfiguration.SendBuffer) {
        (high, low) = limits.effective
    }

    /// How many senders wait for room (tests wait for a sender to be parked).
    var waitingCount: Int { state.withLock { $0.waiters.count } }

    /// The connection frames go to; set once it exists.
    func attach(_ connection: LWSConnection) { state.withLock { $0.connection = connection } }

    /// Puts `frame` in the buffer now if nothing waits ahead of it and there is room; `false`
    /// when it must wait. Throws ``SendGateClosed`` once the connection has ended.
    func admitNow(_ frame: OutgoingFrame) throws(SendGateClosed) -> Bool {
        try state.withLock { state throws(SendGateClosed) -> Bool in
            guard !state.ended, let connection = state.connection else { throw SendGateClosed() }
            guard state.waiters.isEmpty, !state.paused else { return false }
            guard let pending = connection.enqueue(frame) else { throw SendGateClosed() }
            if pending >= high { state.paused = true }
            return true
        }
    }

    /// Waits until `frame` is in the buffer. Cancellation takes the frame out of the queue and
    /// throws `CancellationError`; the end of the connection throws ``SendGateClosed``.
    func admit(_ frame: OutgoingFrame) async throws {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Void, any Error>? in
                    if state.ended { return .failure(SendGateClosed()) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters.append(Waiter(id: id, frame: frame, continuation: continuation))
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
                // It may have drained meanwhile, with no write left to report it.
                admitWaiting()
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// The network took some bytes (event-loop thread): below the low watermark, the waiting
    /// senders go in, in order, until the buffer is full again.
    func drained() { admitWaiting() }

    /// Admits waiters while there is room. The level is read afresh under the lock: the one a
    /// write reported may predate sends that filled the buffer again.
    private func admitWaiting() {
        let admitted = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            guard !state.ended, let connection = state.connection else { return [] }
            if state.paused {
                guard connection.pendingBytes <= low else { return [] }
                state.paused = false
            }
            var admitted: [CheckedContinuation<Void, any Error>] = []
            while !state.paused, let waiter = state.waiters.first {
                guard let level = connection.enqueue(waiter.frame) else { break }
                state.waiters.removeFirst()
                admitted.append(waiter.continuation)
                if level >= high { state.paused = true }
            }
            return admitted
        }
        admitted.forEach { $0.resume() }
    }

    /// The connection ended: every waiting sender fails, later ones at once.
    func end() {
        let waiters = state.withLock { state -> Deque<Waiter> in
            state.ended = true
            state.connection = nil
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.continuation.resume(throwing: SendGateClosed()) }
    }
}

/// The gate's connection ended before the frame was accepted; the manager turns it into its
/// own error, naming the URL and the state.
struct SendGateClosed: Error {}
