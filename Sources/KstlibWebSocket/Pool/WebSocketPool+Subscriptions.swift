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
        let (plan, opening, shards) = try state.withLock {
            state -> (ShardAssignment.Plan, [Int], [Int: WebSocketManager]) in
            guard !state.isClosed else {
                throw WebSocketConnectionError("cannot subscribe: the pool is closed", url: url, attempts: 0)
            }
            let plan = state.assignment.assign(topics)
            // New shards, and shards a failed subscribe left without a connection, open now.
            let opening = plan.newShards + plan.topics.keys.filter { state.dormant.contains($0) }.sorted()
            for id in opening {
                state.shards[id] = makeShard(id)
                state.dormant.remove(id)
            }
            return (plan, opening, state.shards)
        }
        for id in opening {
            do {
                try await reserveOpening(forNewShard: id)
            } catch {
                // Openings already taken stay counted: the window errs on the safe side.
                abandon(opening, of: plan)
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
        // Together: the window and its spacing already keep the openings apart.
        let failures = await withTaskGroup(of: (Int, (any Error)?).self) { group in
            for id in opening {
                guard let shard = shards[id] else { continue }
                group.addTask {
                    do {
                        try await shard.connect()
                        return (id, nil)
                    } catch {
                        return (id, error)
                    }
                }
            }
            var failures: [(Int, any Error)] = []
            for await (id, error) in group {
                if let error { failures.append((id, error)) } else { startForwarding(id) }
            }
            return failures.sorted { $0.0 < $1.0 }
        }
        if let (_, first) = failures.first {
            abandon(failures.map(\.0), of: plan)
            throw first
        }
    }

    /// Forgets the shards among `ids` that could not open, with their share of `plan`: the last
    /// shards are dropped, the others stay without a connection (dormant) until a later
    /// subscribe assigns them topics again.
    private func abandon(_ ids: [Int], of plan: ShardAssignment.Plan) {
        let shards = state.withLock { state -> [WebSocketManager] in
            state.assignment.abandon(ids, of: plan)
            return ids.compactMap { id in
                state.prepaid.remove(id)
                if id < state.assignment.shardCount { state.dormant.insert(id) }
                return state.shards.removeValue(forKey: id)
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
