// Joins one transport connection to its manager, and carries the connect handshake's outcome.
import Synchronization

/// The ``TransportSink`` of one connection attempt.
///
/// It holds the manager weakly, so a manager dropped without `close()` is freed (and its
/// connection aborted by its `deinit`) instead of being kept alive by the event loop.
final class ConnectionLink: TransportSink {
    private struct State {
        weak var manager: WebSocketManager?
        var connection: (any TransportConnection)?
        var opened = false
        var cancelled = false
        var ended: TransportEnd?
        var waiter: CheckedContinuation<Void, any Error>?
    }

    /// Which connection of the manager this is; events of an old generation are ignored.
    let generation: Int
    /// Set for the new connection of a gapless rotation: its messages go through the merger.
    let standby: RotationMerger?
    private let state: Mutex<State>
    /// Set once the manager has moved on from this connection: its late messages are dropped.
    private let retiredFlag = Atomic<Bool>(false)
    /// The send-side flow control of this connection.
    let gate: SendGate

    /// When the attempt started on the manager's clock, for the connect-time metric.
    private let startedAt: Duration

    /// Every attempt makes a link, so this is where reconnect attempts are counted.
    init(manager: WebSocketManager, generation: Int, standby: RotationMerger? = nil) {
        self.generation = generation
        self.standby = standby
        startedAt = manager.time.now
        gate = SendGate(
            manager.configuration.sendBuffer, pacer: manager.pacer, executor: manager.transport.taskExecutor
        ) { [weak manager] frame in
            manager?.recordSent(frame)
        }
        state = Mutex(State(manager: manager))
        if standby == nil, manager.state == .reconnecting { manager.metrics?.reconnectAttempts.increment() }
    }

    var isRetired: Bool { retiredFlag.load(ordering: .acquiring) }
    func retire() { retiredFlag.store(true, ordering: .releasing) }

    /// Set when a rotation's new connection becomes the manager's own; a standby whose rotation
    /// was abandoned never is, and its messages are never delivered outside the merger.
    private let promotedFlag = Atomic<Bool>(false)
    var isOwnConnection: Bool { standby == nil || promotedFlag.load(ordering: .acquiring) }
    func promote() { promotedFlag.store(true, ordering: .releasing) }

    /// Reads again, after a batch of this connection asked for backpressure.
    func resumeReading() { state.withLock { $0.connection }?.resumeReading() }

    var manager: WebSocketManager? { state.withLock { $0.manager } }

    func attach(_ connection: any TransportConnection) {
        state.withLock { $0.connection = connection }
        gate.attach(connection)
    }

    /// Lets go of a connection that never started: the connection holds us as its sink, and
    /// without an end (where ``transportEnded(_:)`` lets go) the two would keep each other alive,
    /// through our state and through the send gate.
    func detach() {
        state.withLock { $0.connection = nil }
        gate.end()
    }

    // MARK: Waiting for the handshake

    /// Returns once the upgrade succeeded; throws the handshake failure, or on cancellation
    /// (a connect timeout) aborts the connection.
    func waitOpen() async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Void, any Error>? in
                    if state.opened { return .success(()) }
                    if let ended = state.ended { return .failure(Self.failure(for: ended)) }
                    if state.cancelled { return .failure(CancellationError()) }
                    state.waiter = continuation
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let (waiter, connection) = state.withLock { state in
                state.cancelled = true
                defer { state.waiter = nil }
                return (state.waiter, state.opened ? nil : state.connection)
            }
            connection?.abort()
            waiter?.resume(throwing: CancellationError())
        }
    }

    private static func failure(for end: TransportEnd) -> any Error {
        switch end {
        case .handshakeFailed(let failure): return failure
        default:
            return WebSocketHandshakeFailure(kind: .connectFailed, reason: "the connection ended during the handshake")
        }
    }

    // MARK: TransportSink (event-loop thread)

    func transportOpened(subprotocol: String?, compressed: Bool) {
        let (manager, connection, cancelled) = state.withLock { ($0.manager, $0.connection, $0.cancelled) }
        guard let connection else { return }
        guard !cancelled, let manager,
            manager.adopt(self, connection: connection, subprotocol: subprotocol, compressed: compressed)
        else {
            if let owner = self.manager {
                owner.closeOrCut(connection, code: .goingAway, reason: "connection no longer wanted")
            } else {
                connection.close(code: .goingAway, reason: "connection no longer wanted")
            }
            return
        }
        if let metrics = manager.metrics {
            ManagerMetrics.record(manager.time.now - startedAt, on: metrics.connectTime)
        }
        let waiter = state.withLock { state in
            state.opened = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func transportReceived(_ messages: [WebSocketMessage]) -> Bool {
        guard !isRetired, let manager else { return true }
        return manager.deliver(messages, from: self)
    }

    func transportPong(roundTrip: Duration) {
        manager?.recordRoundTrip(roundTrip)
    }

    func transportDrained() {
        gate.drained()
        manager?.recordDrained()
    }

    func transportEnded(_ end: TransportEnd) {
        let (manager, opened, waiter) = state.withLock { state in
            state.ended = end
            // The connection holds us as its sink: letting go of it here breaks that cycle,
            // which would otherwise leak both once the manager moves on.
            state.connection = nil
            defer { state.waiter = nil }
            return (state.manager, state.opened, state.waiter)
        }
        gate.end()
        if opened {
            manager?.connectionEnded(self, end)
        } else {
            waiter?.resume(throwing: Self.failure(for: end))
        }
    }
}
