// A transport with no network: the test plays the server, one pass at a time.
import Synchronization
@testable import KstlibWebSocket

/// A ``Transport`` whose connections are scripted by the test, on a ``SimulationExecutor``.
///
/// Everything the "server" does (accept, refuse, send, close, drop) is one pass on the
/// simulation thread, as a libwebsockets service pass is one on the loop thread: the events are
/// reported to the sink there, and end-of-pass jobs run after it. Connections accept on their own
/// unless ``script(_:)`` says otherwise.
final class InMemoryTransport: Transport, Sendable {
    /// What the next connection attempt meets.
    enum Outcome: Sendable {
        case accept
        case refuse(WebSocketHandshakeFailure)
        /// Nothing answers: the attempt hangs until the connect timeout aborts it.
        case silence
    }

    private struct State {
        var connections: [InMemoryConnection] = []
        var outcomes: [Outcome] = []
        var inPass = false
        var endOfPass: [@Sendable () -> Void] = []
    }

    let simulation: SimulationExecutor
    private let state = Mutex(State())

    init(simulation: SimulationExecutor) {
        self.simulation = simulation
    }

    var executor: any TaskExecutor { simulation }
    var taskExecutor: (any TaskExecutor)? { simulation }

    func makeConnection(_ request: TransportRequest, sink: any TransportSink) async throws -> any TransportConnection {
        state.withLock { state in
            let outcome = state.outcomes.isEmpty ? .accept : state.outcomes.removeFirst()
            let connection = InMemoryConnection(
                id: state.connections.count + 1, request: request, sink: sink, outcome: outcome, transport: self)
            state.connections.append(connection)
            return connection
        }
    }

    func atEndOfPass(_ job: @escaping @Sendable () -> Void) {
        let deferred =
            simulation.isCurrent
            && state.withLock { state in
                guard state.inPass else { return false }
                state.endOfPass.append(job)
                return true
            }
        if !deferred { job() }
    }

    /// Queues what the next attempts meet, in order; later ones accept.
    func script(_ outcomes: Outcome...) { state.withLock { $0.outcomes += outcomes } }

    /// Every connection made so far, oldest first.
    var connections: [InMemoryConnection] { state.withLock { $0.connections } }

    /// The newest connection.
    var last: InMemoryConnection? { connections.last }

    /// Runs `body` as one pass on the simulation thread, then the jobs it deferred.
    func pass(_ body: @escaping @Sendable () -> Void) {
        simulation.execute { [self] in
            state.withLock { $0.inPass = true }
            body()
            while true {
                let jobs = state.withLock { state -> [@Sendable () -> Void] in
                    defer { state.endOfPass = [] }
                    if state.endOfPass.isEmpty { state.inPass = false }
                    return state.endOfPass
                }
                if jobs.isEmpty { break }
                jobs.forEach { $0() }
            }
        }
    }
}

/// One in-memory connection: the client's side is ``TransportConnection``, the server's is
/// what the test calls (``accept(subprotocol:)``, ``serverSend(_:)``...).
final class InMemoryConnection: TransportConnection, Sendable {
    /// What the server has sent that the client has not read yet.
    enum Inbound: Sendable {
        case message(WebSocketMessage)
        case close(WebSocketCloseCode, String)
    }

    enum Phase: Sendable, Equatable {
        case created, opening, open
        case ended(TransportEnd)
    }

    private struct State {
        var phase = Phase.created
        var inbound: [Inbound] = []
        var paused = false
        /// Frames the client queued that the network has not taken yet.
        var outbox: [OutgoingFrame] = []
        var writeScheduled = false
        /// Frames the network took, in order: what the server received.
        var written: [OutgoingFrame] = []
        var accepted = 0
        var writtenBytes = 0
        var closeSent: (code: WebSocketCloseCode, reason: String)?
        /// The network takes nothing until ``drain()`` (send-side flow control).
        var stalled = false
        var dataFrames = 0
    }

    let id: Int
    let request: TransportRequest
    private let sink: any TransportSink
    private let outcome: InMemoryTransport.Outcome
    private unowned let transport: InMemoryTransport
    private let state = Mutex(State())

    init(
        id: Int, request: TransportRequest, sink: any TransportSink, outcome: InMemoryTransport.Outcome,
        transport: InMemoryTransport
    ) {
        self.id = id
        self.request = request
        self.sink = sink
        self.outcome = outcome
        self.transport = transport
    }

    var phase: Phase { state.withLock { $0.phase } }
    var isEnded: Bool { if case .ended = phase { true } else { false } }
    var isOpen: Bool { phase == .open }
    var isReadingPaused: Bool { state.withLock { $0.paused } }

    /// The text messages the server received, close frames left out.
    var receivedTexts: [String] {
        state.withLock { state in
            state.written.compactMap { frame in
                frame.kind == .text ? String(decoding: frame.storage[OutgoingFrame.headroom...], as: UTF8.self) : nil
            }
        }
    }

    /// The close frame the client sent, if any.
    var closeSent: (code: WebSocketCloseCode, reason: String)? { state.withLock { $0.closeSent } }

    /// Text and binary frames the client queued, written or not (what the manager counts as sent).
    var dataFramesAccepted: Int { state.withLock { $0.dataFrames } }

    /// Whether this is the new connection of a gapless rotation.
    var isStandby: Bool { (sink as? ConnectionLink)?.standby != nil }

    // MARK: TransportConnection (the client's side)

    func open() -> Bool {
        state.withLock { $0.phase = .opening }
        switch outcome {
        case .accept: accept()
        case .refuse(let failure): transport.pass { [self] in end(.handshakeFailed(failure)) }
        case .silence: break
        }
        return true
    }

    func enqueue(_ frame: OutgoingFrame) -> Int? {
        let (pending, schedule) = state.withLock { state -> (Int?, Bool) in
            guard !Self.ended(state.phase) else { return (nil, false) }
            state.accepted += frame.payloadCount
            state.outbox.append(frame)
            if frame.kind == .text || frame.kind == .binary { state.dataFrames += 1 }
            let schedule = !state.writeScheduled && !state.stalled
            if schedule { state.writeScheduled = true }
            return (state.accepted - state.writtenBytes, schedule)
        }
        if schedule { transport.pass { [self] in write() } }
        return pending
    }

    var pendingBytes: Int { state.withLock { Self.ended($0.phase) ? 0 : $0.accepted - $0.writtenBytes } }

    func close(code: WebSocketCloseCode, reason: String) -> Bool {
        enqueue(.close(code, reason)) != nil
    }

    func abort() { transport.pass { [self] in end(.aborted) } }

    func resumeReading() {
        transport.pass { [self] in
            state.withLock { $0.paused = false }
            read()
        }
    }

    // MARK: The server's side (each call is one pass)

    /// Completes the upgrade.
    func accept(subprotocol: String? = nil) {
        transport.pass { [self] in
            let opened = state.withLock { state -> Bool in
                guard state.phase == .opening else { return false }
                state.phase = .open
                return true
            }
            guard opened else { return }
            sink.transportOpened(subprotocol: subprotocol, compressed: false)
            read()
        }
    }

    /// Sends messages; they are read in one pass, up to a backpressure pause.
    func serverSend(_ messages: [WebSocketMessage]) {
        transport.pass { [self] in
            state.withLock { $0.inbound += messages.map(Inbound.message) }
            read()
        }
    }

    /// Sends a close frame, after the messages already sent.
    func serverClose(_ code: WebSocketCloseCode, reason: String = "") {
        transport.pass { [self] in
            state.withLock { $0.inbound.append(.close(code, reason)) }
            read()
        }
    }

    /// Ends the connection at once, unread messages lost: a drop, a ping timeout, a violation.
    func fail(_ end: TransportEnd = .dropped) {
        transport.pass { [self] in self.end(end) }
    }

    /// Stops (`true`) or restarts the network taking queued frames.
    func stallWrites(_ stalled: Bool) {
        state.withLock { $0.stalled = stalled }
        if !stalled { transport.pass { [self] in write() } }
    }

    // MARK: Simulation thread

    private static func ended(_ phase: Phase) -> Bool { if case .ended = phase { true } else { false } }

    private func read() {
        while true {
            let next = state.withLock { state -> Inbound? in
                guard state.phase == .open, !state.paused, !state.inbound.isEmpty else { return nil }
                return state.inbound.removeFirst()
            }
            switch next {
            case nil: return
            case .message(let message):
                if !sink.transportReceived([message]) { state.withLock { $0.paused = true } }
            case .close(let code, let reason):
                // The client answered a close it started: libwebsockets reports its own close.
                let mine = state.withLock { $0.closeSent }
                end(
                    mine.map { .locallyClosed(code: $0.code, reason: $0.reason) }
                        ?? .peerClosed(code: code, reason: reason))
                return
            }
        }
    }

    private func write() {
        let (moved, close) = state.withLock { state -> (Bool, (code: WebSocketCloseCode, reason: String)?) in
            state.writeScheduled = false
            guard !Self.ended(state.phase), !state.stalled, !state.outbox.isEmpty else { return (false, nil) }
            var close: (code: WebSocketCloseCode, reason: String)?
            for frame in state.outbox {
                state.writtenBytes += frame.payloadCount
                state.written.append(frame)
                if case .close(let code, let reason) = frame.kind, state.closeSent == nil {
                    state.closeSent = (code, reason)
                    close = (code, reason)
                }
            }
            state.outbox = []
            return (true, close)
        }
        guard moved else { return }
        sink.transportDrained()
        // The server answers a close at once; the end is the client's own close.
        if let close { end(.locallyClosed(code: close.code, reason: close.reason)) }
    }

    private func end(_ end: TransportEnd) {
        let ended = state.withLock { state -> Bool in
            guard !Self.ended(state.phase) else { return false }
            state.phase = .ended(end)
            state.outbox = []
            state.inbound = []
            return true
        }
        if ended { sink.transportEnded(end) }
    }
}
