// WebSocketPool: many topics over as many connections as an exchange's limits require.
import Synchronization

/// Subscriptions sharded over several connections to one URL, within an exchange's limits.
///
/// Exchanges cap what one connection carries (streams per connection, messages per second,
/// new connections per window). A pool assigns each topic to a shard, one
/// ``WebSocketManager`` per connection, opening a shard only when the others are full, and
/// merges what they receive into one ``stream()``:
///
/// ```swift
/// var limits = PoolLimits()
/// limits.maxStreamsPerConnection = 1024
/// limits.maxTopicsPerMessage = 10
/// let pool = WebSocketPool(url: "wss://stream.example.com/ws", configuration: config, limits: limits)
/// try await pool.subscribe(symbols)              // 5,000 topics: 5 shards
/// for try await item in pool.stream() { handle(item.message, from: item.shard) }
/// ```
///
/// Every shard reconnects, re-subscribes and rotates with the configuration's strategies and
/// proactive control. The pool adds what one manager cannot know: every connection attempt of
/// every shard waits for the pool's window of new connections (``PoolLimits/newConnections``,
/// ``PoolLimits/connectionSpacing``), also during a reconnect storm, and proactive disconnects
/// go one shard at a time, only while another shard is up. See <doc:ShardedFeeds>.
public final class WebSocketPool: Sendable {
    /// The URL every shard connects to.
    public let url: String
    /// The configuration every shard starts from.
    public let configuration: WebSocketConfiguration
    /// The exchange's limits the pool keeps under.
    public let limits: PoolLimits

    let clock: any Clock<Duration>
    /// Time since the pool was created, on `clock`: the time base of the ``ShardScheduler``.
    let elapsed: @Sendable () -> Duration
    let inbox: MergedInbox
    let iteratorClaim = IteratorClaim()
    let state: Mutex<State>

    /// How often a proactive disconnect asks again whether another shard is up.
    static let staggerPollInterval = Duration.milliseconds(50)

    struct State {
        var assignment: ShardAssignment
        var scheduler: ShardScheduler
        var shards: [Int: WebSocketManager] = [:]
        var forwarders: [Int: Task<Void, Never>] = [:]
        /// Shards a failed `subscribe` left without a connection; the next one that assigns
        /// them topics opens them.
        var dormant: Set<Int> = []
        /// Shards whose first opening `subscribe` already took from the window.
        var prepaid: Set<Int> = []
        var windowWait = Duration.zero
        var staggerWait = Duration.zero
        var isClosed = false
    }

    /// A pool of shards to `url`, each with `configuration`, within `limits`. Nothing happens on
    /// the network until ``subscribe(_:)-([String])``.
    public convenience init(
        url: String, configuration: WebSocketConfiguration = WebSocketConfiguration(), limits: PoolLimits = PoolLimits()
    ) {
        self.init(url: url, configuration: configuration, limits: limits, clock: ContinuousClock())
    }

    /// A pool whose waiting (the connection window, the shards' backoff and timeouts) goes
    /// through `clock`.
    public init(
        url: String, configuration: WebSocketConfiguration = WebSocketConfiguration(), limits: PoolLimits,
        clock: any Clock<Duration>
    ) {
        self.url = url
        self.configuration = configuration
        self.limits = limits
        self.clock = clock
        self.elapsed = Self.stopwatch(clock)
        self.inbox = MergedInbox(capacity: configuration.queueSize)
        let scheduler = ShardScheduler(
            connections: limits.newConnections.connections, per: limits.newConnections.per,
            spacing: limits.connectionSpacing, leaseTimeout: configuration.connectionTimeout * 2)
        self.state = Mutex(
            State(assignment: ShardAssignment(capacity: limits.maxStreamsPerConnection), scheduler: scheduler))
    }

    deinit {
        let shards = state.withLock { $0.shards.values }
        shards.forEach { $0.forceClose() }
        inbox.end(.failure(WebSocketClosedError("the pool was released without close()", code: .abnormalClosure)))
    }

    private static func stopwatch<C: Clock<Duration>>(_ clock: C) -> @Sendable () -> Duration {
        let start = clock.now
        return { start.duration(to: clock.now) }
    }

    // MARK: Reading

    /// The topics subscribed, with the shard that carries each.
    public var assignments: [String: Int] { state.withLock { $0.assignment.shardOf } }

    /// How many shards (connections) the pool has opened.
    public var shardCount: Int { state.withLock { $0.shards.count } }

    /// A snapshot of every shard's statistics and the pool's own.
    public var stats: WebSocketPoolStats {
        let (shards, assignment, scheduler, windowWait, staggerWait) = state.withLock {
            ($0.shards, $0.assignment, $0.scheduler, $0.windowWait, $0.staggerWait)
        }
        let perShard = shards.keys.sorted().map { id in
            WebSocketPoolStats.Shard(
                id: id, topics: id < assignment.loads.count ? assignment.loads[id] : 0, state: shards[id]!.state,
                stats: shards[id]!.stats)
        }
        return WebSocketPoolStats(
            shards: perShard, connectionsOpened: scheduler.openings, connectionWindowWait: windowWait,
            staggerWait: staggerWait)
    }

    /// The manager of shard `id`, for tests.
    func manager(ofShard id: Int) -> WebSocketManager? { state.withLock { $0.shards[id] } }

    /// Waits until every shard is connected; `false` when `timeout` passed first for one of them.
    public func waitConnected(timeout: Duration? = nil) async -> Bool {
        let shards = state.withLock { Array($0.shards.values) }
        for shard in shards where !(await shard.waitConnected(timeout: timeout)) { return false }
        return true
    }

    // MARK: Closing

    /// Closes every shard with 1000 (see ``WebSocketManager/close()``); the stream ends normally
    /// once the messages already received are read. Closing is final.
    ///
    /// Messages the shards received before their close are handed to the stream first; should
    /// nobody read them, the stream ends after ``WebSocketConfiguration/closeTimeout`` anyway.
    public func close() async {
        let (shards, forwarders) = state.withLock { state -> ([WebSocketManager], [Task<Void, Never>]) in
            state.isClosed = true
            return (Array(state.shards.values), Array(state.forwarders.values))
        }
        await withTaskGroup(of: Void.self) { group in
            for shard in shards { group.addTask { await shard.close() } }
        }
        // A forwarder blocked on a full, unread stream is let go by the stream's end.
        let (inbox, clock, timeout) = (self.inbox, self.clock, configuration.closeTimeout)
        let release = Task {
            if (try? await clock.sleep(for: timeout)) != nil { inbox.end(.success(())) }
        }
        for forwarder in forwarders { await forwarder.value }
        release.cancel()
        inbox.end(.success(()))
    }
}
