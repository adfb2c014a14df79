// Making shards, and the pool's answers to their hooks: the connection window and staggering.

extension WebSocketPool {
    /// A new shard's manager, its configuration narrowed by the pool's limits and its hooks
    /// pointing back at the pool (weakly: the pool owns its shards).
    func makeShard(_ id: Int) -> WebSocketManager {
        var config = configuration
        if let rate = limits.outgoingRate { config.outgoingRate = rate }
        if let topics = limits.maxTopicsPerMessage { config.subscriptionFormat.maxTopicsPerMessage = topics }
        let owner = WeakPool(self)
        config.shardHooks = ShardHooks(
            beforeConnect: { try await owner.value?.waitToOpen(shard: id) },
            connected: { owner.value?.state.withLock { $0.scheduler.connected(id) } },
            beforeProactiveDisconnect: { await owner.value?.waitToGoDown(shard: id) })
        return WebSocketManager(url: url, configuration: config, clock: clock, loop: .shared)
    }

    /// Forwards shard `id`'s messages into the merged stream until it ends.
    func startForwarding(_ id: Int) {
        guard let shard = state.withLock({ $0.shards[id] }) else { return }
        let inbox = self.inbox
        let forwarder = Task { [weak self] in
            do {
                for try await message in shard.stream() {
                    await inbox.push(WebSocketPoolMessage(shard: id, message: message))
                }
                self?.shardEnded(id, error: nil)
            } catch {
                self?.shardEnded(id, error: error)
            }
        }
        state.withLock { $0.forwarders[id] = forwarder }
    }

    /// A shard's stream ended on its own: it gave up, so the pool does, with the same error.
    private func shardEnded(_ id: Int, error: (any Error)?) {
        let others = state.withLock { state -> [WebSocketManager]? in
            guard !state.isClosed else { return nil }
            state.isClosed = true
            return state.shards.filter { $0.key != id }.map(\.value)
        }
        guard let others else { return }
        configuration.logger?.debug("a shard ended; the pool ends", metadata: ["url": "\(url)", "shard": "\(id)"])
        inbox.end(error.map { .failure($0) } ?? .success(()))
        Task {
            await withTaskGroup(of: Void.self) { group in others.forEach { s in group.addTask { await s.close() } } }
        }
    }

    /// The connection window's answer to a shard's connection attempt: returns when it may go.
    func waitToOpen(shard id: Int) async throws {
        while true {
            let wait = state.withLock { state -> Duration? in
                if state.prepaid.remove(id) != nil { return nil }
                return state.scheduler.openConnection(at: elapsed())
            }
            guard let wait else { return }
            state.withLock { $0.windowWait += wait }
            try await clock.sleep(for: wait)
        }
    }

    /// Takes the opening of new shard `id` from the window, or throws at once when the window
    /// will not allow it within ``PoolLimits/connectionWindowTimeout``.
    func reserveOpening(forNewShard id: Int) async throws {
        let timeout = limits.connectionWindowTimeout
        let start = elapsed()
        while true {
            let now = elapsed()
            let wait = state.withLock { state -> Duration? in
                guard let wait = state.scheduler.openConnection(at: now) else {
                    state.prepaid.insert(id)
                    return nil
                }
                return wait
            }
            guard let wait else { return }
            if now + wait - start > timeout {
                throw WebSocketTimeoutError(
                    "the connection window (\(limits.newConnections)) allows no new connection within \(timeout)",
                    operation: .connectionWindow, timeout: timeout)
            }
            state.withLock { $0.windowWait += wait }
            try await clock.sleep(for: wait)
        }
    }

    /// Returns once shard `id` may go down on purpose: another shard is up and no other shard
    /// is down on purpose.
    func waitToGoDown(shard id: Int) async {
        while true {
            let shards = state.withLock { $0.shards }
            let connected = Set(shards.filter { $0.value.state == .connected }.map(\.key))
            let granted = state.withLock {
                $0.scheduler.mayGoDown(id, connected: connected, shardCount: shards.count, at: elapsed())
            }
            if granted { return }
            state.withLock { $0.staggerWait += Self.staggerPollInterval }
            guard (try? await clock.sleep(for: Self.staggerPollInterval)) != nil else { return }
        }
    }
}

/// Lets a shard's hooks reach their pool without keeping it alive.
///
/// `@unchecked Sendable`: `value` is written once, in the init, before the box is shared, and
/// only read afterwards; a `weak` reference's loads and the pool's release are atomic.
final class WeakPool: @unchecked Sendable {
    weak var value: WebSocketPool?
    init(_ value: WebSocketPool) { self.value = value }
}
