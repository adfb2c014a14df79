// Sending, receiving and streaming messages.
public import Foundation

extension WebSocketManager {
    // MARK: Sending

    /// Sends a text message.
    ///
    /// Returns once the message is in the outgoing buffer, in order behind every earlier `send`.
    /// While the buffer is above ``WebSocketConfiguration/sendBuffer``'s high watermark it
    /// suspends until the network has drained it; under ``WebSocketConfiguration/outgoingRate``
    /// it also waits for its turn in the window.
    ///
    /// - Throws: ``WebSocketConnectionError`` when no connection is open (or it ends while the
    ///   send waits); ``WebSocketTimeoutError`` with operation `"send"` when there was no room,
    ///   or no turn under the rate, within ``WebSocketConfiguration/sendTimeout``; `CancellationError` when the calling
    ///   task is cancelled while waiting. In those cases the message is not sent.
    public func send(_ text: String) async throws {
        try await enqueue(.text(text))
    }

    /// Sends a binary message; waits for room like ``send(_:)-(String)``.
    public func send(_ bytes: [UInt8]) async throws {
        try await enqueue(.binary(bytes))
    }

    /// Sends a binary message; waits for room like ``send(_:)-(String)``.
    public func send(_ data: Data) async throws {
        try await enqueue(.binary(data))
    }

    /// Sends `message` as it is: text as a text message, bytes as a binary one, so an echo loop
    /// needs no `switch`; waits for room like ``send(_:)-(String)``.
    public func send(_ message: WebSocketMessage) async throws {
        switch message {
        case .text(let text): try await send(text)
        case .binary(let bytes): try await send(bytes)
        }
    }

    /// Encodes `value` as JSON and sends it as a text message; waits for room like
    /// ``send(_:)-(String)``.
    public func send<Value: Encodable>(json value: Value, encoder: JSONEncoder = JSONEncoder()) async throws {
        let data = try encoder.encode(value)
        try await enqueue(OutgoingFrame(kind: .text, payload: data))
    }

    /// Admits `frame` through the current connection's ``SendGate``: at once when there is
    /// room (no task, no clock: the common case stays cheap), else waiting within the timeout.
    func enqueue(_ frame: OutgoingFrame) async throws {
        let (link, state) = core.withLock { ($0.state == .connected ? $0.link : nil, $0.state) }
        guard let link else {
            throw WebSocketConnectionError("cannot send: the manager is \(state)", url: url, attempts: 0)
        }
        do {
            if try !link.gate.admitNow(frame) {
                try await waitForRoom(frame, gate: link.gate)
            }
        } catch is SendGateClosed {
            throw WebSocketConnectionError(
                "cannot send: the connection ended before the message was sent", url: url, attempts: 0)
        }
        recordSent(frame)
    }

    /// Counts a frame that entered the outgoing buffer: a `send`'s, or a re-subscription's.
    func recordSent(_ frame: OutgoingFrame) {
        statistics.withLock { stats in
            stats.messagesSent += 1
            stats.bytesSent += frame.payloadCount
        }
        if let metrics {
            metrics.messagesSent.increment()
            metrics.bytesSent.increment(by: frame.payloadCount)
            metrics.bytesWaiting.record(currentConnection?.pendingBytes ?? 0)
        }
    }

    /// The outgoing buffer drained to its low watermark: the gauge follows it down.
    func recordDrained() {
        metrics?.bytesWaiting.record(currentConnection?.pendingBytes ?? 0)
    }

    /// Waits in the gate's queue, for room in the buffer or for the outgoing rate; the timeout's
    /// message says which of the two held the queue when time ran out.
    private func waitForRoom(_ frame: OutgoingFrame, gate: SendGate) async throws {
        guard let timeout = configuration.sendTimeout else { return try await gate.admit(frame) }
        logger.debug("send waits for the outgoing buffer or rate", metadata: ["url": "\(url)"])
        let rate = configuration.outgoingRate
        try await withDeadline(
            timeout, clock: clock,
            timeoutError: {
                guard let rate, !gate.isWaitingForRoom else {
                    return WebSocketTimeoutError(
                        "the outgoing buffer did not drain within \(timeout)", operation: .send, timeout: timeout)
                }
                return WebSocketTimeoutError(
                    "the outgoing rate (\(rate)) let no message through within \(timeout)", operation: .send,
                    timeout: timeout)
            }
        ) {
            try await gate.admit(frame)
        }
    }

    // MARK: Receiving

    /// Called on the event-loop thread with one service pass's messages; `false` asks for
    /// backpressure. During a gapless rotation the merger decides what reaches the application.
    func deliver(_ messages: [WebSocketMessage], from link: ConnectionLink) -> Bool {
        let (merger, notOurs) = rotation.withLock { state -> (RotationMerger?, Bool) in
            // Outside a rotation, two kinds of batch are not the application's: the old
            // connection's late one (a rotation retires its old link before it ends, and the new
            // connection delivered these), and a standby's whose rotation was abandoned.
            let notOurs = state.merger == nil && (link.isRetired || !link.isOwnConnection)
            // The lock every batch takes anyway: remembering them here costs no other.
            if state.merger == nil && !notOurs { state.recent.append(contentsOf: messages) }
            return (state.merger, notOurs)
        }
        guard let merger else {
            return notOurs ? true : deliver(messages, pausing: link, while: { !link.isRetired })
        }
        var out: [WebSocketMessage] = []
        for message in messages {
            out +=
                link === merger.old ? merger.fromOld(message) : link.standby === merger ? merger.fromNew(message) : []
        }
        if !out.isEmpty { rotation.withLock { state in state.recent.append(contentsOf: out) } }
        let keepReading = deliver(out, pausing: link, while: { !merger.isAbandoned })
        if merger.isFinished { endRotation(merger) }
        return keepReading
    }

    /// ``deliver(_:while:)`` for a batch `link` read: when the inbox asks for backpressure,
    /// `link` is the connection to resume later (during a rotation it may not be the current one).
    private func deliver(
        _ messages: [WebSocketMessage], pausing link: ConnectionLink, while wanted: () -> Bool
    ) -> Bool {
        let keepReading = deliver(messages, while: wanted)
        if !keepReading { pausedLinks.withLock { if !$0.contains(where: { $0 === link }) { $0.append(link) } } }
        return keepReading
    }

    /// Resumes every connection paused for backpressure, once the inbox has room again.
    func resumePausedReading() {
        let links = pausedLinks.withLock { links in
            defer { links = [] }
            return links
        }
        for link in links { link.resumeReading() }
        if links.isEmpty { currentConnection?.resumeReading() }
    }

    /// Hands messages to the application: statistics, `onMessage`, the inbox; one lock each
    /// and one clock read for the whole batch. All of it happens under ``delivery``, and only
    /// if `wanted()` still holds there (see ``stopDelivering(_:)``).
    func deliver(_ messages: [WebSocketMessage], while wanted: () -> Bool = { true }) -> Bool {
        guard !messages.isEmpty else { return true }
        var bytes = 0
        for message in messages { bytes += message.byteCount }
        let now = time.date
        return delivery.withLock { _ in
            guard wanted() else { return true }
            statistics.withLock { stats in
                stats.messagesReceived += messages.count
                stats.bytesReceived += bytes
                stats.lastMessageTime = now
            }
            if let onMessage = configuration.onMessage {
                for message in messages { callbacks.run { try await onMessage(message) } }
            }
            guard let metrics else { return inbox.push(messages) }
            metrics.messagesReceived.increment(by: messages.count)
            metrics.bytesReceived.increment(by: bytes)
            return inbox.push(messages) { metrics.queueDepth.record($0) }
        }
    }

    /// Retires `link` and abandons a rotation in progress so that, once this returns, nothing
    /// either connection read is counted, given to `onMessage` or queued: a batch already under
    /// way finishes first, since both take ``delivery``. (A batch is handed over whole: without
    /// it, a `forceClose()` racing a delivery let up to a batch through after it returned, and
    /// a rotation's new connection delivered until the rotation noticed.)
    func stopDelivering(_ link: ConnectionLink?) {
        let merger = delivery.withLock { _ -> RotationMerger? in
            link?.retire()
            guard let merger = rotation.withLock({ $0.merger }) else { return nil }
            merger.abandon()
            return merger
        }
        if let merger { endRotation(merger) }
    }

    func recordDrop(total: Int) {
        statistics.withLock { $0.messagesDropped = total }
        metrics?.messagesDropped.increment()
        alert(.messageDropped, "incoming queue full: message dropped", droppedCount: total)
    }

    func recordRoundTrip(_ roundTrip: Duration) {
        statistics.withLock { $0.lastRoundTripTime = roundTrip }
        if let metrics { ManagerMetrics.record(roundTrip, on: metrics.roundTrip) }
    }

    /// The next message.
    ///
    /// - Parameter timeout: how long to wait; `nil` waits as long as the connection lives.
    /// - Throws: ``WebSocketTimeoutError`` (operation `"receive"`) when nothing arrived in time;
    ///   ``WebSocketClosedError`` once the stream has ended normally; otherwise the error the
    ///   stream ended with.
    public func receive(timeout: Duration? = nil) async throws -> WebSocketMessage {
        guard let timeout else { return try await nextOrClosed() }
        return try await withDeadline(
            timeout, clock: clock,
            timeoutError: {
                WebSocketTimeoutError("nothing received within \(timeout)", operation: .receive, timeout: timeout)
            }
        ) { [self] in
            try await nextOrClosed()
        }
    }

    private func nextOrClosed() async throws -> WebSocketMessage {
        // A live iterator's batch is older than anything still queued.
        iteratorClaim.returnLeased()
        guard let message = try await inbox.next(reporting: metrics) else {
            throw WebSocketClosedError("the connection is closed", code: .normalClosure)
        }
        return message
    }

    /// Every message, in order, across reconnects.
    ///
    /// The stream ends normally after ``close()`` or a server close with 1000/1001 that is not
    /// followed by a reconnect; it throws the error that ended the manager otherwise (for
    /// example ``WebSocketClosedError`` with code 1006 for a dropped connection, or
    /// ``WebSocketReconnectError`` when reconnection gave up).
    ///
    /// One iterator at a time: while one is alive, another one throws
    /// ``WebSocketStreamInUseError`` from its first `next()`.
    public func stream() -> WebSocketMessageStream {
        WebSocketMessageStream(inbox: inbox, claim: iteratorClaim, url: url, metrics: metrics)
    }
}

extension WebSocketMessage {
    var byteCount: Int {
        switch self {
        case .text(let text): return text.utf8.count
        case .binary(let bytes): return bytes.count
        }
    }
}

/// The messages of a ``WebSocketManager``, as an `AsyncSequence`.
///
/// Every stream of a manager reads the same queue, so one iterator may be alive at a time: a
/// second throws ``WebSocketStreamInUseError``. See ``WebSocketManager/stream()`` for how it ends.
public struct WebSocketMessageStream: AsyncSequence, Sendable {
    /// One whole message.
    public typealias Element = WebSocketMessage
    let inbox: Inbox
    let claim: IteratorClaim
    let url: String
    let metrics: ManagerMetrics?

    /// Takes messages off the manager's incoming queue.
    public struct AsyncIterator: AsyncIteratorProtocol {
        @usableFromInline let inbox: Inbox
        /// `nil` when another iterator held the stream when this one was made.
        @usableFromInline let lease: IteratorClaim.Lease?
        @usableFromInline let url: String
        @usableFromInline let metrics: ManagerMetrics?

        /// The next message; `nil` when the stream ended normally; throws the error that ended
        /// it, or ``WebSocketStreamInUseError`` when another iterator holds the stream.
        ///
        /// Inlinable so that a message already queued is taken without a suspension point in
        /// the caller's loop: each `await` that crosses one costs an executor check, a lock
        /// when the task has an executor preference.
        @inlinable public mutating func next() async throws -> WebSocketMessage? {
            guard let lease else { throw WebSocketStreamInUseError(url: url) }
            if let ready = try lease.nextQueued(reporting: metrics) { return ready }
            return try await inbox.next(reporting: metrics)
        }
    }

    /// An iterator over the manager's incoming queue.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(inbox: inbox, lease: claim.acquire(for: inbox), url: url, metrics: metrics)
    }

    /// The messages decoded from JSON as `T`.
    public func decoded<T: Decodable & Sendable>(as type: T.Type, using decoder: JSONDecoder = JSONDecoder())
        -> AsyncThrowingMapSequence<Self, T>
    {
        map { try $0.decode(type, using: decoder) }
    }
}

extension Inbox {
    /// The next message, reporting the queue depth it leaves behind to `metrics`.
    @usableFromInline nonisolated(nonsending) func next(reporting metrics: ManagerMetrics?) async throws
        -> WebSocketMessage?
    {
        let message = try await next()
        metrics?.queueDepth.record(depth)
        return message
    }
}
