// When a pool's shard may open a connection, and when one may go down on purpose.

/// The pool's shared limits in time, as a value type over plain durations (time since the pool
/// started), with no clock and no I/O, so a seeded simulation can drive it.
///
/// Two rules:
/// - **The connection window**: at most ``PoolLimits/newConnections`` connections are opened in
///   any window (every attempt counts: connects, reconnects, a rotation's new connection), and
///   two openings are at least ``PoolLimits/connectionSpacing`` apart, so a reconnect storm
///   reaches the exchange as a staggered trickle rather than a burst.
/// - **Staggered proactive disconnects**: one shard at a time may go down on purpose (a
///   connection-age rotation, `shouldDisconnect`), and only while another shard is up, so the
///   pool's own decisions never leave it with every shard down. The permission (a lease) ends
///   when that shard's new connection opens, or after `leaseTimeout` should it never open.
struct ShardScheduler: Sendable {
    private var window: RateWindow
    let spacing: Duration
    let leaseTimeout: Duration
    private var lastOpening: Duration?
    /// The shard allowed to go down, and since when.
    private(set) var lease: (shard: Int, since: Duration)?
    /// Openings granted so far.
    private(set) var openings = 0

    init(connections: Int, per: Duration, spacing: Duration, leaseTimeout: Duration) {
        window = RateWindow(limit: connections, per: max(per, .nanoseconds(1)))
        self.spacing = max(spacing, .zero)
        self.leaseTimeout = leaseTimeout
    }

    /// Records an opening at `now` and returns `nil` when one may go; otherwise records nothing
    /// and returns how long until one may.
    mutating func openConnection(at now: Duration) -> Duration? {
        if let lastOpening, now < lastOpening + spacing { return lastOpening + spacing - now }
        if let wait = window.take(at: now) { return wait }
        lastOpening = now
        openings += 1
        return nil
    }

    /// Whether `shard` may go down on purpose at `now`, given the shards connected now; a `true`
    /// grants it the lease. A lone shard may always go: no staggering is possible.
    mutating func mayGoDown(_ shard: Int, connected: Set<Int>, shardCount: Int, at now: Duration) -> Bool {
        if let lease, lease.shard != shard, now < lease.since + leaseTimeout { return false }
        guard shardCount <= 1 || !connected.subtracting([shard]).isEmpty else { return false }
        lease = (shard, now)
        return true
    }

    /// `shard`'s connection opened: its lease, if it holds it, ends.
    mutating func connected(_ shard: Int) {
        if lease?.shard == shard { lease = nil }
    }
}
