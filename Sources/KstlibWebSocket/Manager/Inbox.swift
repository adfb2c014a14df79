// The incoming queue between the event-loop thread and the consumer, with its overflow policy.
import DequeModule
import Synchronization

/// Received messages waiting for `stream()` / `receive()`, and how the stream ends.
///
/// The event-loop thread pushes (never blocking); consumers pull, each message going to exactly
/// one of them (normally there is one: `stream()` or `receive()`). When the queue holds
/// `capacity` messages the ``QueueOverflowPolicy`` decides: under `.backpressure` the push
/// answers `false` so the transport stops reading the socket, and the consumer's pull asks for
/// reading to resume once the queue is half empty.
@usableFromInline final class Inbox: Sendable {
    enum Ending: Sendable {
        case finished
        case failed(any Error)
    }

    private struct State {
        var messages = Deque<WebSocketMessage>()
        var ending: Ending?
        /// Consumers waiting for a message, first come first served.
        var waiters: [(id: Int, continuation: CheckedContinuation<WebSocketMessage?, any Error>)] = []
        var nextWaiterID = 0
        var paused = false
        var dropped = 0
        var overflowed = false
        /// A hand-over to waiting consumers is scheduled for the end of the loop's pass.
        var wakeScheduled = false

        /// Ends a backpressure pause once the queue is half empty; true when reading may resume.
        mutating func unpauseIfDrained(capacity: Int) -> Bool {
            guard paused && messages.count <= capacity / 2 else { return false }
            paused = false
            return true
        }
    }

    let capacity: Int
    let policy: QueueOverflowPolicy
    private let state = Mutex(State())
    /// `overflowed`, readable without the lock (a lease checks it for every message it holds).
    private let overflowFlag = Atomic<Bool>(false)
    var overflowPending: Bool { overflowFlag.load(ordering: .relaxed) }
    /// Called (outside the lock) when a paused producer may read again.
    private let onResume: @Sendable () -> Void
    /// Called (outside the lock) when a message was dropped, with the total dropped so far.
    private let onDrop: @Sendable (Int) -> Void
    /// Runs a hand-over at the end of the event loop's current pass (at once off the loop), so
    /// a burst of messages read in one pass wakes the consumer once, not once per message.
    private let scheduleWake: @Sendable (@escaping @Sendable () -> Void) -> Void

    init(
        capacity: Int, policy: QueueOverflowPolicy, onResume: @escaping @Sendable () -> Void,
        onDrop: @escaping @Sendable (Int) -> Void,
        scheduleWake: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void = { $0() }
    ) {
        self.capacity = capacity
        self.policy = policy
        self.onResume = onResume
        self.onDrop = onDrop
        self.scheduleWake = scheduleWake
    }

    /// How many messages wait for a consumer (the queue-depth gauge).
    var depth: Int { state.withLock { $0.messages.count } }

    /// Adds messages in order; `false` asks the producer to pause reading. `reportDepth` gets
    /// the depth they leave, before any drop is reported.
    func push(_ messages: [WebSocketMessage], reportDepth: ((Int) -> Void)? = nil) -> Bool {
        var keepReading = true
        let (mustSchedule, droppedBefore, droppedNow, depth) = state.withLock { state -> (Bool, Int, Int, Int) in
            let droppedBefore = state.dropped
            guard state.ending == nil else { return (false, droppedBefore, droppedBefore, state.messages.count) }
            // A waiting consumer gets its message at the end of the loop's pass, and one pass
            // can bring thousands: only what the waiters will not take counts as queued, and
            // that still obeys the capacity, or backpressure would never engage.
            let mustWake = !state.waiters.isEmpty && !state.wakeScheduled
            if !state.waiters.isEmpty { state.wakeScheduled = true }
            for message in messages {
                guard capacity > 0 && state.messages.count - state.waiters.count >= capacity else {
                    state.messages.append(message)
                    continue
                }
                switch policy.kind {
                case .backpressure:
                    state.messages.append(message)
                    state.paused = true
                    keepReading = false
                case .dropNewest:
                    state.dropped += 1
                case .dropOldest:
                    state.messages.removeFirst()
                    state.messages.append(message)
                    state.dropped += 1
                case .fail:
                    state.dropped += 1
                    state.overflowed = true
                    overflowFlag.store(true, ordering: .relaxed)
                }
            }
            return (mustWake, droppedBefore, state.dropped, state.messages.count)
        }
        reportDepth?(depth)
        // One report per dropped message, as kstlib alerts per drop.
        for total in stride(from: droppedBefore + 1, through: droppedNow, by: 1) { onDrop(total) }
        if mustSchedule { scheduleWake { [self] in handOver() } }
        return keepReading
    }

    /// Gives queued messages to waiting consumers, one each.
    private func handOver() {
        let (pairs, resume) = state.withLock {
            state -> ([(CheckedContinuation<WebSocketMessage?, any Error>, WebSocketMessage)], Bool) in
            state.wakeScheduled = false
            var pairs: [(CheckedContinuation<WebSocketMessage?, any Error>, WebSocketMessage)] = []
            while !state.waiters.isEmpty, let message = state.messages.popFirst() {
                pairs.append((state.waiters.removeFirst().continuation, message))
            }
            return (pairs, state.unpauseIfDrained(capacity: capacity))
        }
        if resume { onResume() }
        for (waiter, message) in pairs { waiter.resume(returning: message) }
    }

    /// Ends the stream once the queued messages are consumed (`finished`), or with an error.
    func end(_ ending: Ending) {
        let (pairs, waiters) = state.withLock {
            state -> (
                [(CheckedContinuation<WebSocketMessage?, any Error>, WebSocketMessage)],
                [CheckedContinuation<WebSocketMessage?, any Error>]
            ) in
            guard state.ending == nil else { return ([], []) }
            state.ending = ending
            // Messages waiting for their hand-over still go first.
            var pairs: [(CheckedContinuation<WebSocketMessage?, any Error>, WebSocketMessage)] = []
            while !state.waiters.isEmpty, let message = state.messages.popFirst() {
                pairs.append((state.waiters.removeFirst().continuation, message))
            }
            defer { state.waiters = [] }
            return (pairs, state.waiters.map(\.continuation))
        }
        for (waiter, message) in pairs { waiter.resume(returning: message) }
        for waiter in waiters { waiter.resume(with: Self.result(of: ending)) }
    }

    /// Makes the inbox usable again after an ending (a new `connect()` after a disconnect).
    func reopen() {
        state.withLock { state in
            state.ending = nil
            state.overflowed = false
            overflowFlag.store(false, ordering: .relaxed)
        }
    }

    /// The next message, `nil` at a normal end; throws the ending's error, or
    /// ``WebSocketQueueFullError`` under the `.fail` policy.
    nonisolated(nonsending) func next() async throws -> WebSocketMessage? {
        if let ready = try takeReady() { return ready }
        let id = state.withLock { state -> Int in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let immediate = state.withLock { state -> Result<WebSocketMessage?, any Error>? in
                    if let message = state.messages.popFirst() { return .success(message) }
                    if let ending = state.ending { return Self.result(of: ending) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters.append((id, continuation))
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<WebSocketMessage?, any Error>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Up to `limit` queued messages in one lock, without waiting: empty when the stream ended
    /// normally, `nil` when the caller must wait; throws the ending's error, or
    /// ``WebSocketQueueFullError`` under the `.fail` policy.
    func takeQueued(upTo limit: Int) throws -> ([WebSocketMessage], remaining: Int)? {
        let (result, resume) = state.withLock {
            state -> (Result<([WebSocketMessage], remaining: Int), any Error>?, Bool) in
            if state.overflowed {
                state.overflowed = false
                overflowFlag.store(false, ordering: .relaxed)
                return (.failure(WebSocketQueueFullError(queueSize: capacity, droppedCount: state.dropped)), false)
            }
            if !state.messages.isEmpty {
                let count = min(limit, state.messages.count)
                let batch = Array(state.messages.prefix(count))
                state.messages.removeFirst(count)
                return (.success((batch, state.messages.count)), state.unpauseIfDrained(capacity: capacity))
            }
            switch state.ending {
            case .finished: return (.success(([], 0)), false)
            case .failed(let error): return (.failure(error), false)
            case nil: return (nil, false)
            }
        }
        if resume { onResume() }
        return try result?.get()
    }

    /// Puts back, in front, messages a stream iterator took but never returned.
    func giveBack(_ messages: [WebSocketMessage]) {
        guard !messages.isEmpty else { return }
        let mustWake = state.withLock { state -> Bool in
            state.messages.prepend(contentsOf: messages)
            return !state.waiters.isEmpty
        }
        if mustWake { handOver() }
    }

    /// A queued message or the ending, without waiting; `nil` when the caller must wait.
    private func takeReady() throws -> WebSocketMessage?? {
        let (result, resume) = state.withLock { state -> (Result<WebSocketMessage?, any Error>?, Bool) in
            if state.overflowed {
                state.overflowed = false
                overflowFlag.store(false, ordering: .relaxed)
                return (.failure(WebSocketQueueFullError(queueSize: capacity, droppedCount: state.dropped)), false)
            }
            if let message = state.messages.popFirst() {
                return (.success(message), state.unpauseIfDrained(capacity: capacity))
            }
            if let ending = state.ending { return (Self.result(of: ending), false) }
            return (nil, false)
        }
        if resume { onResume() }
        guard let result else { return nil }
        return .some(try result.get())
    }

    private static func result(of ending: Ending) -> Result<WebSocketMessage?, any Error> {
        switch ending {
        case .finished: return .success(nil)
        case .failed(let error): return .failure(error)
        }
    }
}
