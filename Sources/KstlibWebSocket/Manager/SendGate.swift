// Send-side flow control of one connection: who may put bytes in its outgoing buffer, and when.
import DequeModule
import Synchronization

/// Admits outgoing frames into one connection's buffer, in call order, while the buffer is
/// below its high watermark and the outgoing rate allows; suspends the senders otherwise until
/// the network drains the buffer to the low watermark, or the rate frees a permission.
///
/// Every frame enters the connection under this gate's lock, so the order of the frames on the
/// wire is the order in which `send` was called, whether a sender waited or not. A sender that
/// gives up (timeout, cancellation) leaves the queue with its frame unsent: nothing accepted is
/// ever dropped or reordered.
final class SendGate: Sendable {
    private struct Waiter {
        let id: Int
        let frame: OutgoingFrame
        /// `nil` for a frame nobody waits for (a re-subscription): ``onDetachedAdmitted`` is told.
        let continuation: CheckedContinuation<Void, any Error>?
    }

    private struct State {
        var connection: (any TransportConnection)?
        var waiters: Deque<Waiter> = []
        /// The buffer reached the high watermark and has not drained to the low one since.
        var paused = false
        var ended = false
        var nextID = 0
        /// Wakes the queue when the rate frees a permission; at most one at a time.
        var rateWake: Task<Void, Never>?
    }

    private let state = Mutex(State())
    private let high: Int
    private let low: Int
    private let pacer: OutgoingPacer?
    private let onDetachedAdmitted: @Sendable (OutgoingFrame) -> Void
    /// Where the rate's wake-up task runs (the manager's task executor; `nil`: the global pool).
    private let executor: (any TaskExecutor)?

    /// - Parameters:
    ///   - pacer: the manager's outgoing rate, shared by its connections; `nil` for none.
    ///   - onDetachedAdmitted: told when a frame of ``enqueueDetached(_:)`` entered the buffer,
    ///     so it is counted when it is really sent, as a `send` is.
    init(
        _ limits: WebSocketConfiguration.SendBuffer, pacer: OutgoingPacer? = nil, executor: (any TaskExecutor)? = nil,
        onDetachedAdmitted: @escaping @Sendable (OutgoingFrame) -> Void = { _ in }
    ) {
        (high, low) = limits.effective
        self.pacer = pacer
        self.onDetachedAdmitted = onDetachedAdmitted
        self.executor = executor
    }

    /// How many senders wait for room (tests wait for a sender to be parked).
    var waitingCount: Int { state.withLock { $0.waiters.count } }

    /// Whether the buffer is full: a waiting sender then waits for the network, not the rate.
    var isWaitingForRoom: Bool { state.withLock { $0.paused } }

    /// The connection frames go to; set once it exists.
    func attach(_ connection: any TransportConnection) { state.withLock { $0.connection = connection } }

    /// Puts `frame` in the buffer now if nothing waits ahead of it, there is room and the rate
    /// allows; `false` when it must wait. Throws ``SendGateClosed`` once the connection has ended.
    func admitNow(_ frame: OutgoingFrame) throws(SendGateClosed) -> Bool {
        try state.withLock { state throws(SendGateClosed) -> Bool in
            guard !state.ended, let connection = state.connection else { throw SendGateClosed() }
            guard state.waiters.isEmpty, !state.paused, pacer?.take() == nil else { return false }
            guard let pending = connection.enqueue(frame) else { throw SendGateClosed() }
            if pending >= high { state.paused = true }
            return true
        }
    }

    /// Queues `frames` behind every waiting sender, with nobody waiting for them: the
    /// re-subscriptions of a new connection, which must keep their place ahead of later sends
    /// but cannot hold up the event-loop thread that opened the connection.
    func enqueueDetached(_ frames: [OutgoingFrame]) {
        state.withLock { state in
            for frame in frames {
                state.nextID += 1
                state.waiters.append(Waiter(id: state.nextID, frame: frame, continuation: nil))
            }
        }
        admitWaiting()
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
            let (waiter, emptied) = state.withLock { state -> (Waiter?, Bool) in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return (nil, false) }
                return (state.waiters.remove(at: index), state.waiters.isEmpty)
            }
            if emptied { pacer?.queueEmptied() }
            waiter?.continuation?.resume(throwing: CancellationError())
        }
    }

    /// The network took some bytes (event-loop thread): below the low watermark, the waiting
    /// senders go in, in order, until the buffer is full again.
    func drained() { admitWaiting() }

    /// Admits waiters while there is room and the rate allows. The level is read afresh under
    /// the lock: the one a write reported may predate sends that filled the buffer again.
    private func admitWaiting() {
        let admitted = state.withLock { state -> [Waiter] in
            guard !state.ended, let connection = state.connection else { return [] }
            if state.paused {
                guard connection.pendingBytes <= low else { return [] }
                state.paused = false
            }
            var admitted: [Waiter] = []
            while !state.paused, let waiter = state.waiters.first {
                if let pacer, let wait = pacer.take() {
                    scheduleRateWake(after: wait, pacer: pacer, &state.rateWake)
                    break
                }
                guard let level = connection.enqueue(waiter.frame) else { break }
                state.waiters.removeFirst()
                admitted.append(waiter)
                if level >= high { state.paused = true }
            }
            return admitted
        }
        for waiter in admitted {
            if let continuation = waiter.continuation {
                continuation.resume()
            } else {
                onDetachedAdmitted(waiter.frame)
            }
        }
    }

    /// Comes back to the queue once the rate has a permission again; nothing else would (no
    /// write completes while the queue is held back by the rate alone).
    private func scheduleRateWake(after wait: Duration, pacer: OutgoingPacer, _ rateWake: inout Task<Void, Never>?) {
        guard rateWake == nil else { return }
        rateWake = Task(executorPreference: executor) { [weak self] in
            guard (try? await pacer.sleep(for: wait)) != nil, let self else { return }
            self.state.withLock { $0.rateWake = nil }
            self.admitWaiting()
        }
    }

    /// The connection ended: every waiting sender fails, later ones at once.
    func end() {
        let (waiters, rateWake) = state.withLock { state -> (Deque<Waiter>, Task<Void, Never>?) in
            state.ended = true
            state.connection = nil
            defer {
                state.waiters = []
                state.rateWake = nil
            }
            return (state.waiters, state.rateWake)
        }
        rateWake?.cancel()
        waiters.forEach { $0.continuation?.resume(throwing: SendGateClosed()) }
    }
}

/// The gate's connection ended before the frame was accepted; the manager turns it into its
/// own error, naming the URL and the state.
struct SendGateClosed: Error {}
