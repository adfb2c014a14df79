// The pool's pure rules: which shard carries a topic, when a shard may open a connection, when
// one may go down on purpose. Checked case by case, then by a seeded simulation of many random
// schedules of subscribes, unsubscribes, drops, storms, rotations and reconnects.
import Testing
@testable import KstlibWebSocket

@Suite(.timeLimit(.minutes(3))) struct ShardSchedulingTests {
    // MARK: Assignment

    @Test func fillsTheLeastLoadedShardAndOpensOneOnlyWhenAllAreFull() {
        var assignment = ShardAssignment(capacity: 3)
        let first = assignment.assign(["a", "b", "c", "d"])
        #expect(first.newShards == [0, 1])
        #expect(first.topics == [0: ["a", "b", "c"], 1: ["d"]])
        assignment.remove(["a", "b"])
        // Shard 0 now carries 1, shard 1 carries 1: the lower id of the least loaded first.
        let second = assignment.assign(["e", "f", "g", "a"])
        #expect(second.newShards == [])
        #expect(second.topics == [0: ["e", "g"], 1: ["f", "a"]])
        #expect(assignment.loads == [3, 3])
        // Already assigned topics are ignored.
        let none = assignment.assign(["a", "e"])
        #expect(none == ShardAssignment.Plan())
    }

    @Test func abandoningNewShardsFreesTheirTopicsAndTheirIds() {
        var assignment = ShardAssignment(capacity: 2)
        _ = assignment.assign(["a"])
        let plan = assignment.assign(["b", "c", "d", "e"])
        #expect(plan.newShards == [1, 2])
        assignment.abandon(plan.newShards, of: plan)
        #expect(assignment.shardCount == 1)
        #expect(assignment.shardOf == ["a": 0, "b": 0])
        let reused = assignment.assign(["x", "y"])
        #expect(reused.newShards == [1])
    }

    // MARK: Scheduling

    @Test func theConnectionWindowSaysExactlyHowLongToWait() {
        var scheduler = ShardScheduler(
            connections: 2, per: .seconds(10), spacing: .seconds(1), leaseTimeout: .seconds(5))
        let times: [Duration] = [.zero, .milliseconds(200), .seconds(1), .seconds(2), .seconds(10)]
        let answers = times.map { scheduler.openConnection(at: $0) }
        #expect(answers == [nil, .milliseconds(800), nil, .seconds(8), nil])
        #expect(scheduler.openings == 3)
    }

    @Test func oneShardAtATimeGoesDownAndNeverTheLastOneUp() {
        var scheduler = ShardScheduler(
            connections: 10, per: .seconds(1), spacing: .zero, leaseTimeout: .seconds(5))
        var answers: [Bool] = []
        answers.append(scheduler.mayGoDown(0, connected: [0, 1, 2], shardCount: 3, at: .zero))
        // Shard 0 holds the lease until its new connection opens.
        answers.append(scheduler.mayGoDown(1, connected: [1, 2], shardCount: 3, at: .seconds(1)))
        scheduler.connected(0)
        answers.append(scheduler.mayGoDown(1, connected: [0, 1, 2], shardCount: 3, at: .seconds(1)))
        scheduler.connected(1)
        // Only shard 2 is up: it may not go.
        answers.append(scheduler.mayGoDown(2, connected: [2], shardCount: 3, at: .seconds(2)))
        // A lone shard may: nothing to stagger against.
        answers.append(scheduler.mayGoDown(0, connected: [0], shardCount: 1, at: .seconds(3)))
        // A lease whose shard never came back expires.
        answers.append(scheduler.mayGoDown(1, connected: [1, 2], shardCount: 3, at: .seconds(9)))
        #expect(answers == [true, false, true, false, true, true])
    }

    // MARK: Simulation

    @Test(arguments: 0..<40) func randomSchedulesKeepEveryInvariant(seed: UInt64) {
        var simulation = PoolSimulation(seed: seed)
        for _ in 0..<PoolSimulation.steps { simulation.step() }
        #expect(simulation.violations == [], "seed \(seed)")
        #expect(
            simulation.openings > 0 && simulation.proactiveGrants > 0, "seed \(seed): the schedule exercised too little"
        )
    }
}

/// A pool driven by random events over a virtual clock: every rule's decision is checked
/// against the invariants right after it is taken.
struct PoolSimulation {
    enum Link: Equatable {
        case up, down
    }

    static let capacity = 40
    static let windowLimit = 6
    static let window = Duration.seconds(10)
    static let spacing = Duration.milliseconds(300)

    var random: SeededRandom
    var now = Duration.zero
    var assignment = ShardAssignment(capacity: capacity)
    var scheduler = ShardScheduler(
        connections: windowLimit, per: window, spacing: spacing, leaseTimeout: .seconds(4))
    var links: [Link] = []
    /// Shards down on purpose, since when.
    var proactiveDown: [Int: Duration] = [:]
    var subscribed: Set<String> = []
    var openingTimes: [Duration] = []
    var violations: [String] = []
    var proactiveGrants = 0
    var openings: Int { openingTimes.count }

    /// The steps of one schedule: enough for every rule to be exercised (checked by the tests).
    static let steps = 400

    init(seed: UInt64) {
        random = SeededRandom(seed: seed)
    }

    mutating func step() {
        switch random.next() % 100 {
        case 0..<25: subscribe()
        case 25..<35: unsubscribe()
        case 35..<45: dropOne()
        case 45..<50: storm()
        case 50..<65: goDownOnPurpose()
        default: now += .milliseconds(Int64(random.next() % 2_000))
        }
        reconnect()
        check()
    }

    mutating func subscribe() {
        let topics = (0..<Int(random.next() % 60)).map { _ in "t\(random.next() % 400)" }
        let plan = assignment.assign(topics)
        for id in plan.newShards {
            #expect(id == links.count)
            links.append(.down)
        }
        subscribed.formUnion(topics)
    }

    mutating func unsubscribe() {
        let topics = subscribed.filter { _ in random.next() % 3 == 0 }
        assignment.remove(Array(topics))
        subscribed.subtract(topics)
    }

    mutating func dropOne() {
        guard !links.isEmpty else { return }
        links[Int(random.next() % UInt64(links.count))] = .down
    }

    mutating func storm() {
        links = links.map { _ in .down }
    }

    mutating func goDownOnPurpose() {
        guard !links.isEmpty else { return }
        let shard = Int(random.next() % UInt64(links.count))
        guard links[shard] == .up else { return }
        let connected = Set(links.indices.filter { links[$0] == .up })
        guard scheduler.mayGoDown(shard, connected: connected, shardCount: links.count, at: now) else { return }
        proactiveGrants += 1
        let others = proactiveDown.filter { $0.key != shard && now < $0.value + scheduler.leaseTimeout }
        if !others.isEmpty { violations.append("two shards down on purpose at \(now)") }
        links[shard] = .down
        proactiveDown[shard] = now
        if links.count > 1, !links.contains(.up) {
            violations.append("a proactive disconnect left no shard up at \(now)")
        }
    }

    /// Every shard that is down tries to open, in random order, as the window allows.
    mutating func reconnect() {
        var waiting = links.indices.filter { links[$0] == .down }
        waiting.shuffle(using: &random)
        for shard in waiting where scheduler.openConnection(at: now) == nil {
            openingTimes.append(now)
            links[shard] = .up
            scheduler.connected(shard)
            proactiveDown[shard] = nil
        }
    }

    mutating func check() {
        for (shard, load) in assignment.loads.enumerated() where load > Self.capacity {
            violations.append("shard \(shard) carries \(load)")
        }
        if Set(assignment.shardOf.keys) != subscribed { violations.append("assigned topics differ from subscribed") }
        if assignment.loads.reduce(0, +) != assignment.shardOf.count { violations.append("loads do not add up") }
        if let last = openingTimes.last {
            let inWindow = openingTimes.filter { last - $0 < Self.window }.count
            if inWindow > Self.windowLimit { violations.append("\(inWindow) openings in one window at \(last)") }
            if openingTimes.count > 1, last - openingTimes[openingTimes.count - 2] < Self.spacing {
                violations.append("two openings closer than the spacing at \(last)")
            }
        }
    }
}
