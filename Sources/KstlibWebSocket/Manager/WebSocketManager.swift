// The public face of the library: one logical WebSocket connection that survives reconnects.
import Foundation
import Logging
import Synchronization

/// A WebSocket client that connects, streams, reconnects and lets the application decide when
/// a connection is rotated: the Swift port of kstlib.websocket's `WebSocketManager`.
///
/// ```swift
/// let ws = WebSocketManager(url: "wss://stream.example.com/ws")
/// try await ws.connect()
/// try await ws.send(json: ["type": "subscribe", "channel": "BTCUSDT"])
/// for try await message in ws.stream() { print(message) }
/// ```
///
/// All connections of the process share one libwebsockets event-loop thread. The manager is
/// `Sendable`: call it from any task. ``state`` and ``stats`` are readable at any moment without
/// awaiting.
public final class WebSocketManager: Sendable {
    /// The URL this manager connects to.
    public let url: String
    /// The options it was created with.
    public let configuration: WebSocketConfiguration

    let clock: any Clock<Duration>
    /// Time on `clock`, for timestamps.
    let time: ManagerTime
    let transport: any Transport
    let logger: Logger
    let endpoint: Result<WebSocketURL, WebSocketHandshakeFailure>
    let inbox: Inbox
    /// Who holds ``stream()``: one iterator at a time.
    let iteratorClaim = IteratorClaim()
    let statistics: Mutex<WebSocketStats>
    /// The swift-metrics instruments, when ``WebSocketConfiguration/metrics`` is set.
    let metrics: ManagerMetrics?
    let core = Mutex(Core())
    let callbacks: CallbackQueue
    /// The merger of a gapless rotation in progress, and what was delivered before it.
    let rotation: Mutex<RotationState>
    /// Connections paused for backpressure, resumed together when the inbox has room: during a
    /// rotation the paused one may be the standby, not the current connection.
    let pausedLinks = Mutex<[ConnectionLink]>([])
    /// Held while a batch is counted, given to `onMessage` and queued, and while
    /// ``stopDelivering(_:)`` ends delivery. Lock order: `core`, then `delivery`, then the
    /// statistics, callback, inbox, rotation and merger locks; nothing under it takes `core`
    /// (the inbox hands messages to waiting consumers at the end of the loop's pass, not here).
    let delivery = Mutex<Void>(())
    /// The outgoing rate, shared by every connection; `nil` without ``WebSocketConfiguration/outgoingRate``.
    let pacer: OutgoingPacer?

    /// The manager's mutable life, behind one lock.
    struct Core {
        var state: ConnectionState = .disconnected
        var connection: (any TransportConnection)?
        var link: ConnectionLink?
        var generation = 0
        var subprotocol: String?
        var compressed = false
        /// When the current connection opened, on the manager's clock (``ManagerTime/now``).
        var connectedAt: Duration?
        var isShutdown = false
        /// The reason of a disconnect we caused (kill, proactive), used when its end arrives.
        var pendingReason: DisconnectReason?
        var reconnectTask: Task<Void, Never>?
        /// A reconnect planned after a proactive disconnect (delay or `shouldReconnect` polling).
        var pendingReconnect: Task<Void, Never>?
        /// The proactive checks of the current connection (`shouldDisconnect`, connection age).
        var proactiveChecks: Task<Void, Never>?
        /// How the next end of the current connection is followed: set by a proactive disconnect.
        var proactivePlan: ProactivePlan?
        var stateWaiters:
            [Int: (predicate: @Sendable (ConnectionState) -> Bool, continuation: CheckedContinuation<Bool, Never>)] =
                [:]
        var nextWaiterID = 0
        var subscriptions: [String] = []
        var lastClose: WebSocketClose?
        var subscriptionRequestID = 0
        /// Every state change, oldest first (bounded), so tests can check the model's transitions.
        var history: [ConnectionState] = [.disconnected]
    }

    /// Creates a manager; nothing happens on the network until ``connect()``.
    public convenience init(url: String, configuration: WebSocketConfiguration = WebSocketConfiguration()) {
        self.init(url: url, configuration: configuration, clock: ContinuousClock(), loop: .shared)
    }

    /// Creates a manager whose waiting (backoff, check intervals, timeouts) goes through `clock`,
    /// and whose timestamps (``stats``' dates, ``connectionDuration``) read it: under a clock a
    /// test steps by hand, time moves only when the test moves it.
    public convenience init(
        url: String, configuration: WebSocketConfiguration = WebSocketConfiguration(), clock: any Clock<Duration>
    ) {
        self.init(url: url, configuration: configuration, clock: clock, loop: .shared)
    }

    convenience init(url: String, configuration: WebSocketConfiguration, clock: any Clock<Duration>, loop: EventLoop) {
        self.init(url: url, configuration: configuration, clock: clock, transport: LibWebSocketsTransport(loop: loop))
    }

    /// Creates a manager over `transport`: libwebsockets, or a test's in-memory transport.
    init(url: String, configuration: WebSocketConfiguration, clock: any Clock<Duration>, transport: any Transport) {
        self.url = url
        self.configuration = configuration
        self.clock = clock
        let time = ManagerTime(clock)
        self.time = time
        self.statistics = Mutex(WebSocketStats(time: time))
        self.rotation = Mutex(
            RotationState(recent: RecentMessages(capacity: configuration.gaplessRotation ? Self.recentCapacity : 0)))
        self.pacer = configuration.outgoingRate.map { OutgoingPacer($0, clock: clock) }
        self.transport = transport
        self.logger = configuration.logger ?? Logger(label: "kstlib.websocket")
        self.callbacks = CallbackQueue(logger: logger, executor: transport.taskExecutor)
        self.endpoint = WebSocketURL.parse(url)
        self.metrics = configuration.metrics.map {
            ManagerMetrics(options: $0, host: (try? WebSocketURL.parse(url).get())?.host ?? "")
        }
        let owner = WeakManager()
        self.inbox = Inbox(
            capacity: configuration.queueSize, policy: configuration.queueOverflowPolicy,
            onResume: { owner.value?.resumePausedReading() },
            onDrop: { total in owner.value?.recordDrop(total: total) },
            scheduleWake: { [transport] job in transport.atEndOfPass(job) })
        owner.value = self
    }

    deinit {
        // Dropped without close(): cut the connection rather than leak it on the loop, and end
        // the stream a consumer may still be iterating: nothing would ever feed or end it again.
        core.withLock { $0.connection }?.abort()
        inbox.end(
            .failed(WebSocketClosedError("the manager was released without close()", code: .abnormalClosure)))
    }

    // MARK: Reading the state

    /// Where the manager is in its life.
    public var state: ConnectionState { core.withLock { $0.state } }
    /// Whether a connection is open and usable.
    public var isConnected: Bool { state == .connected }
    /// Whether no connection is open and none is being made (`disconnected` or `closed`).
    public var isDead: Bool {
        let s = state
        return s == .disconnected || s == .closed
    }
    /// Whether ``shutdown()`` was called: supervisors should not restart this manager.
    public var isShutdown: Bool { core.withLock { $0.isShutdown } }
    /// A snapshot of the statistics so far.
    public var stats: WebSocketStats {
        var stats = statistics.withLock { $0 }
        stats.bytesWaiting = currentConnection?.pendingBytes ?? 0
        stats.outgoingRateWait = pacer?.waited ?? .zero
        return stats
    }
    /// The subprotocol the server chose, if any: for the current connection, or the last one
    /// while disconnected (kept for diagnostics until the next connection opens).
    public var negotiatedSubprotocol: String? { core.withLock { $0.subprotocol } }
    /// Whether permessage-deflate (RFC 7692) was negotiated: for the current connection, or the
    /// last one while disconnected (kept until the next connection opens).
    public var isCompressed: Bool { core.withLock { $0.compressed } }
    /// How long the current connection has been open, `nil` when not connected.
    public var connectionDuration: Duration? {
        let now = time.now
        return core.withLock { core in core.state == .connected ? core.connectedAt.map { now - $0 } : nil }
    }

    /// How the last connection ended: the close code and reason received or sent, or 1006 when
    /// it dropped without a close frame. `nil` until a connection has ended.
    public var lastClose: WebSocketClose? { core.withLock { $0.lastClose } }

    /// The executor of the event-loop thread this manager's connection is serviced on.
    ///
    /// Run a latency-critical receive-reply loop on it, and a round trip costs no thread
    /// wake-up (the cooperative pool costs two per round trip):
    /// ```swift
    /// try await withTaskExecutorPreference(ws.eventLoopExecutor) {
    ///     for try await message in ws.stream() { try await ws.send(reply(to: message)) }
    /// }
    /// ```
    /// While the task runs, no connection of the loop is serviced: keep it short and never block.
    public var eventLoopExecutor: any TaskExecutor { transport.executor }

    /// Starts the statistics again from zero, now: the one way to reset them (``stats`` is a
    /// snapshot, so resetting a copy would change nothing).
    public func resetStats() {
        statistics.withLock { $0 = WebSocketStats(time: time) }
        pacer?.resetWaited()
    }

    // MARK: State machine

    /// Moves to `next`, waking whoever waits for it. Must be called with the lock held.
    static func transition(_ core: inout Core, to next: ConnectionState) -> [CheckedContinuation<Bool, Never>] {
        guard core.state != next else { return [] }
        precondition(core.state.canTransition(to: next), "illegal state transition \(core.state) -> \(next)")
        core.state = next
        core.history.append(next)
        if core.history.count > 256 { core.history.removeFirst(core.history.count - 256) }
        var woken: [CheckedContinuation<Bool, Never>] = []
        // In the order they began to wait (ids grow), not the dictionary's: the same run wakes
        // them the same way every time.
        for id in core.stateWaiters.keys.sorted() {
            guard let waiter = core.stateWaiters[id], waiter.predicate(next) else { continue }
            woken.append(waiter.continuation)
            core.stateWaiters[id] = nil
        }
        return woken
    }

    var currentConnection: (any TransportConnection)? { core.withLock { $0.connection } }

    /// Starts a task of the manager's own, on the transport's task executor when it names one.
    @discardableResult
    func task(_ operation: sending @escaping () async -> Void) -> Task<Void, Never> {
        Task(executorPreference: transport.taskExecutor, operation: operation)
    }

    /// The states visited so far, for tests of the model's transitions.
    var stateHistory: [ConnectionState] { core.withLock { $0.history } }
}

/// A manager's gapless rotation: the merger of the one in progress, and the last messages
/// delivered outside one (the new connection may repeat them).
struct RotationState: Sendable {
    var merger: RotationMerger?
    var recent: RecentMessages
}

extension WebSocketManager {
    /// How many delivered messages a rotation's merger knows from before it started.
    static let recentCapacity = 256
}

/// Lets the inbox reach its manager without keeping it alive.
///
/// `@unchecked Sendable`: `value` is written once, at the end of the manager's init, before the
/// manager (and so the inbox) is shared with any other thread; afterwards it is only read.
final class WeakManager: @unchecked Sendable {
    weak var value: WebSocketManager?
}
