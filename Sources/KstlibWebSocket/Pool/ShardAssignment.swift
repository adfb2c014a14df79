// Which shard of a pool carries which topic: the pure rule behind WebSocketPool.subscribe.

/// The topics of a ``WebSocketPool`` spread over its shards, no shard above its stream limit.
///
/// A value type with no I/O, so the rule can be checked deterministically: a new topic goes to
/// the least loaded shard that has room (the lowest id among equals), and a new shard is opened
/// only when every shard is full. Shards are never renumbered; an emptied shard stays, to be
/// filled again first, since reopening would spend the exchange's connection window.
struct ShardAssignment: Sendable, Equatable {
    /// The most topics one shard may carry; at least 1.
    let capacity: Int
    /// The shard of every assigned topic.
    private(set) var shardOf: [String: Int] = [:]
    /// How many topics each shard carries, by shard id (ids are 0, 1, 2...).
    private(set) var loads: [Int] = []

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// What ``assign(_:)`` decided: the topics each shard takes, in the order given, and the
    /// shards it opened for them (their ids, ascending).
    struct Plan: Sendable, Equatable {
        var topics: [Int: [String]] = [:]
        var newShards: [Int] = []
    }

    /// Assigns the topics not assigned yet (duplicates ignored), opening shards as needed.
    mutating func assign(_ topics: [String]) -> Plan {
        var plan = Plan()
        for topic in topics where shardOf[topic] == nil {
            let shard = leastLoadedWithRoom() ?? openShard(&plan)
            shardOf[topic] = shard
            loads[shard] += 1
            plan.topics[shard, default: []].append(topic)
        }
        return plan
    }

    /// Frees the assigned ones among `topics`; returns them by shard, in the order given.
    @discardableResult
    mutating func remove(_ topics: [String]) -> [Int: [String]] {
        var removed: [Int: [String]] = [:]
        for topic in topics {
            guard let shard = shardOf.removeValue(forKey: topic) else { continue }
            loads[shard] -= 1
            removed[shard, default: []].append(topic)
        }
        return removed
    }

    /// Undoes a plan whose new shards could not open: their topics are freed and, when they are
    /// the last shards, the shards themselves are forgotten so their ids are used again.
    mutating func abandon(_ shards: [Int], of plan: Plan) {
        for shard in shards { remove(plan.topics[shard] ?? []) }
        while let last = loads.indices.last, shards.contains(last), loads[last] == 0 { loads.removeLast() }
    }

    /// The topics of `shard`, in no particular order.
    func topics(of shard: Int) -> [String] {
        shardOf.compactMap { $0.value == shard ? $0.key : nil }
    }

    /// How many shards exist.
    var shardCount: Int { loads.count }

    private func leastLoadedWithRoom() -> Int? {
        var best: Int?
        for (shard, load) in loads.enumerated() where load < capacity {
            if best == nil || load < loads[best!] { best = shard }
        }
        return best
    }

    private mutating func openShard(_ plan: inout Plan) -> Int {
        loads.append(0)
        plan.newShards.append(loads.count - 1)
        return loads.count - 1
    }
}
