// Assigning topics to shards, and freeing them.

extension WebSocketPool {
    /// Subscribes to `topics`, now and after every reconnect of the shard that carries each.
    public func subscribe(_ topics: String...) async throws {
        try await subscribe(topics)
    }

    /// Subscribes to `topics` (those already subscribed are ignored), now and after every
    /// reconnect of the shard that carries each.
    ///
    /// Each topic goes to the least loaded shard with room under
    /// ``PoolLimits/maxStreamsPerConnection``; a new shard is opened only when every shard is
    /// full, once the connection window (``PoolLimits/newConnections``) allows it. Returns once
    /// the new shards are connected and every request is queued on its shard, which sends them
    /// at ``PoolLimits/outgoingRate`` (a shard that is reconnecting sends them when it is back).
    ///
    /// - Throws: ``WebSocketTimeoutError`` with operation
    ///   ``WebSocketTimeoutError/Operation/connectionWindow`` when the window would not allow a
    ///   needed shard within ``PoolLimits/connectionWindowTimeout``, and the error of
    ///   ``WebSocketManager/connect()`` when a new shard cannot connect: in both cases none of
    ///   the topics meant for new shards is subscribed. ``WebSocketConnectionError`` once the
    ///   pool is closed; what ``WebSocketManager/subscribe(_:)-([String])`` throws otherwise.
    public func subscribe(_ topics: [String]) async throws {
        let (plan, shards) = try state.withLock { state -> (ShardAssignment.Plan, [Int: WebSocketManager]) in
            guard !state.isClosed else {
                throw WebSocketConnectionError("cannot subscribe: the pool is closed", url: url, attempts: 0)
            }
            let plan = state.assignment.assign(topics)
            for id in plan.newShards {
                let shard = makeShard(id)
                state.shards[id] = shard
                state.abandoned.remove(id)
            }
            return (plan, state.shards)
        }
        for id in plan.newShards {
            do {
                try await reserveOpening(forNewShard: id)
            } catch {
                // Openings already taken stay counted: the window errs on the safe side.
                abandon(plan.newShards, of: plan)
                throw error
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (id, list) in plan.topics {
                guard let shard = shards[id] else { continue }
                group.addTask { try await shard.subscribe(list) }
            }
            try await group.waitForAll()
        }
        var failure: (any Error)?
        for id in plan.newShards {
            guard let shard = shards[id] else { continue }
            do {
                try await shard.connect()
                let forwarder = startForwarding(shard, id: id)
                state.withLock { $0.forwarders[id] = forwarder }
            } catch {
                failure = failure ?? error
                abandon([id], of: plan)
            }
        }
        if let failure { throw failure }
    }

    /// Forgets new shards that could not open, with their share of `plan`.
    private func abandon(_ ids: [Int], of plan: ShardAssignment.Plan) {
        let shards = state.withLock { state -> [WebSocketManager] in
            state.assignment.abandon(ids, of: plan)
            state.abandoned.formUnion(ids)
            return ids.compactMap { id in
                state.prepaid.remove(id)
                // A shard id that is not the last stays known (its id cannot be reused).
                return id >= state.assignment.shardCount ? state.shards.removeValue(forKey: id) : state.shards[id]
            }
        }
        shards.forEach { $0.forceClose() }
    }

    /// Unsubscribes from `topics`; their shards no longer re-send them after reconnects.
    public func unsubscribe(_ topics: String...) async throws {
        try await unsubscribe(topics)
    }

    /// Unsubscribes from `topics` (those not subscribed are ignored), freeing their room in
    /// their shards for later subscriptions. An emptied shard stays connected, to be filled
    /// first: reopening it would spend the connection window.
    public func unsubscribe(_ topics: [String]) async throws {
        let (removed, shards) = state.withLock { ($0.assignment.remove(topics), $0.shards) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (id, list) in removed {
                guard let shard = shards[id] else { continue }
                group.addTask { try await shard.unsubscribe(list) }
            }
            try await group.waitForAll()
        }
    }
}
