// Runs one simulated schedule and checks the manager's invariants after every step.
import Synchronization
@testable import KstlibWebSocket

/// What broke, and at which step (0: the teardown after the last step).
struct SimulationFailure: Error, CustomStringConvertible {
    let step: Int
    let message: String
    var description: String { step == 0 ? "at the end: \(message)" : "after step \(step): \(message)" }
}

/// One callback, as the simulation observes them, in the order they ran.
enum Observation: Sendable, Equatable, CustomStringConvertible {
    case connect
    case disconnect(DisconnectReason)
    case alert(String)
    case message(Int)

    var description: String {
        switch self {
        case .connect: return "connect"
        case .disconnect(let reason): return "disconnect(\(reason))"
        case .alert(let kind): return "alert(\(kind))"
        case .message(let number): return "\(number)"
        }
    }
}

/// Plays a ``SimulationSchedule`` against a manager on the in-memory transport.
///
/// The server is a numbered, resumable feed: a connection starts where the messages the manager
/// took stop (a rotation's new connection a few numbers behind or ahead), and each connection
/// is sent the feed when a `pump` step says, so connections lag each other. Because the feed
/// resumes, the messages the manager delivers must be consecutive numbers, whatever happens:
/// the one exception is a rotation's forced switch, which says so with an alert. A new connection
/// never replays from before such a gap: what was skipped there is out of any merger's reach
/// (it recognises messages it has seen, it cannot know what it never saw).
final class Simulator: Sendable {
    private struct State {
        var feedEnd = 0
        /// The next number each connection is sent, by connection id.
        var cursors: [Int: Int] = [:]
        var calls: [(name: String, finishes: @Sendable () -> Int)] = []
        /// The consumer's last `read` step: the next one reads after it, so there is one
        /// reader, and the order it reads in is the stream's.
        var reader: Task<Void, Never>?
    }

    let schedule: SimulationSchedule
    let steps: [SimulationStep]
    private let world: SimulatedWorld
    private let observed = EventLog<Observation>()
    /// What the consumer's `receive()` calls got, in order.
    private let read = EventLog<Int>()
    private let state = Mutex(State())

    init(_ schedule: SimulationSchedule, steps: [SimulationStep]? = nil) {
        self.schedule = schedule
        self.steps = steps ?? schedule.steps
        var config = schedule.configuration
        let observed = self.observed
        config.onConnect = { observed.append(.connect) }
        config.onDisconnect = { observed.append(.disconnect($0)) }
        config.onAlert = { observed.append(.alert($0.kind.description)) }
        config.onMessage = { observed.append(.message(Int($0.text ?? "") ?? -1)) }
        world = SimulatedWorld(configuration: config)
    }

    /// Runs every step, then ends the manager; the first broken invariant, or `nil`. With
    /// `trace`, prints the state, the connections and the callbacks after every step.
    func run(trace: Bool = false) async -> SimulationFailure? {
        defer { world.stop() }
        for (index, step) in steps.enumerated() {
            await perform(step)
            let settled = await world.settle()
            if trace {
                print("\(index + 1). \(step) -> \(manager.state) sleeps \(world.clock.pendingDelays)")
                for c in world.transport.connections { print("   #\(c.id) standby=\(c.isStandby) \(c.phase)") }
                print("   callbacks: \(observed.events.map(\.description).joined(separator: " "))")
            }
            guard settled else {
                return SimulationFailure(step: index + 1, message: "livelock: the manager never went idle")
            }
            if let broken = check() { return SimulationFailure(step: index + 1, message: broken) }
        }
        if let broken = await teardown() { return SimulationFailure(step: 0, message: broken) }
        return nil
    }

    // MARK: Steps

    private var manager: WebSocketManager { world.manager }

    private func call(_ name: String, _ body: @escaping @Sendable () async throws -> Void) {
        let call = world.start(name, body)
        state.withLock { $0.calls.append((name, { call.finishes })) }
    }

    private func openConnection(_ pick: Int) -> InMemoryConnection? {
        let open = world.transport.connections.filter(\.isOpen)
        return open.isEmpty ? nil : open[pick % open.count]
    }

    private var lastDelivered: Int {
        for case .message(let number) in observed.events.reversed() { return number }
        return 0
    }

    /// The first message delivered after the last gap a forced switch left (1 if none).
    private var replayFloor: Int {
        var (floor, last, forced) = (1, 0, false)
        for event in observed.events {
            switch event {
            case .alert("rotationForcedSwitch"): forced = true
            case .message(let number):
                if forced && number != last + 1 { floor = number }
                (last, forced) = (number, false)
            default: break
            }
        }
        return floor
    }

    private func perform(_ step: SimulationStep) async {
        let manager = self.manager
        switch step {
        case .publish(let count):
            state.withLock { $0.feedEnd += count }
        case .pump(let pick):
            guard let connection = openConnection(pick) else { return }
            let (resume, floor) = (lastDelivered + 1, replayFloor)
            let batch = state.withLock { state -> ClosedRange<Int>? in
                // A rotation's new connection subscribes a little behind or ahead of the old one.
                let lag = connection.isStandby ? (connection.id * 5 + Int(schedule.seed % 7)) % 7 - 3 : 0
                let cursor = state.cursors[connection.id] ?? max(floor, resume + lag)
                guard cursor <= state.feedEnd else {
                    state.cursors[connection.id] = cursor
                    return nil
                }
                state.cursors[connection.id] = state.feedEnd + 1
                return cursor...state.feedEnd
            }
            if let batch { connection.serverSend(feed(batch)) }
        case .serverClose(let pick, let code):
            openConnection(pick)?.serverClose(WebSocketCloseCode(code), reason: "simulated")
        case .fail(let pick, let end):
            openConnection(pick)?.fail(end)
        case .script(let outcome):
            world.transport.script(outcome)
        case .advance(let duration):
            await world.advance(by: duration)
        case .advanceToNextSleep:
            await world.advanceToNextSleep()
        case .connect:
            call("connect") { try await manager.connect() }
        case .send(let text):
            call("send") { try await manager.send(text) }
        case .close(let code):
            call("close") { await manager.close(code: WebSocketCloseCode(code)) }
        case .kill:
            call("kill") { manager.kill() }
        case .forceClose:
            call("forceClose") { manager.forceClose() }
        case .requestDisconnect(let after):
            call("requestDisconnect") { await manager.requestDisconnect(reconnectAfter: after) }
        case .subscribe(let channel):
            call("subscribe") { try await manager.subscribe(channel) }
        case .stallWrites(let pick, let stalled):
            openConnection(pick)?.stallWrites(stalled)
        case .waitConnected(let timeout):
            call("waitConnected") { _ = await manager.waitConnected(timeout: timeout) }
        case .read(let count):
            let read = self.read
            let call = Call<Void>("read")
            state.withLock { state in
                let previous = state.reader
                state.reader = Task(executorPreference: world.simulation) {
                    await previous?.value
                    for _ in 0..<count {
                        guard let message = try? await manager.receive() else { break }
                        read.append(Int(message.text ?? "") ?? -1)
                    }
                    call.finish(.success(()))
                }
                state.calls.append(("read", { call.finishes }))
            }
        }
    }

    // MARK: Invariants

    /// The first invariant that does not hold now, in words.
    private func check() -> String? {
        let history = manager.stateHistory
        for (from, to) in zip(history, history.dropFirst()) where !from.canTransition(to: to) {
            return "illegal transition \(from) -> \(to) in \(history)"
        }
        let events = observed.events
        if let broken = checkOrder(events) { return broken }
        if let broken = checkStats(events) { return broken }
        if let broken = checkRead(events) { return broken }
        for call in state.withLock({ $0.calls }) where call.finishes() > 1 {
            return "\(call.name) returned \(call.finishes()) times"
        }
        return nil
    }

    /// Messages: consecutive numbers, each once, in order (a forced switch may skip some), and
    /// only between a connect and its disconnect; connects and disconnects alternate.
    private func checkOrder(_ events: [Observation]) -> String? {
        var last: Int?
        var gapAllowed = false
        var connected = false
        let feedEnd = state.withLock { $0.feedEnd }
        for (index, event) in events.enumerated() {
            switch event {
            case .message(let number):
                guard connected else { return "message \(number) delivered while disconnected (event \(index))" }
                guard (1...feedEnd).contains(number) else { return "message \(number) was never published" }
                if let last {
                    if number <= last { return "message \(number) delivered after \(last): duplicated or reordered" }
                    if number != last + 1 && !gapAllowed { return "messages \(last + 1)...\(number - 1) lost" }
                } else if number != 1 && !gapAllowed {
                    return "messages 1...\(number - 1) lost"
                }
                last = number
                gapAllowed = false
            case .connect:
                if connected { return "two connects without a disconnect (event \(index))" }
                connected = true
            case .disconnect:
                if !connected { return "a disconnect without a connect (event \(index))" }
                connected = false
            case .alert(let kind):
                if kind == "rotationForcedSwitch" { gapAllowed = true }
            }
        }
        return nil
    }

    private func checkStats(_ events: [Observation]) -> String? {
        let stats = manager.stats
        var count = (messages: 0, connects: 0, disconnects: 0, proactive: 0, reactive: 0, dropped: 0)
        for event in events {
            switch event {
            case .message: count.messages += 1
            case .connect: count.connects += 1
            case .disconnect(let reason):
                count.disconnects += 1
                if reason.isProactive { count.proactive += 1 } else { count.reactive += 1 }
            case .alert(let kind): if kind == "messageDropped" { count.dropped += 1 }
            }
        }
        let sent = world.transport.connections.reduce(0) { $0 + $1.dataFramesAccepted }
        let pairs: [(String, Int, Int)] = [
            ("messagesReceived", stats.messagesReceived, count.messages),
            ("connects", stats.connects, count.connects),
            ("disconnects", stats.disconnects, count.disconnects),
            ("proactiveDisconnects", stats.proactiveDisconnects, count.proactive),
            ("reactiveDisconnects", stats.reactiveDisconnects, count.reactive),
            ("messagesDropped", stats.messagesDropped, count.dropped),
            ("messagesSent", stats.messagesSent, sent),
        ]
        for (name, counted, observed) in pairs where counted != observed {
            return "stats.\(name) is \(counted), observed \(observed)"
        }
        if stats.reconnects + stats.rotations > stats.connects {
            return "\(stats.reconnects) reconnects and \(stats.rotations) rotations for \(stats.connects) connects"
        }
        return nil
    }

    /// What the consumer read came in the order delivered, each once; under backpressure none
    /// was skipped.
    private func checkRead(_ events: [Observation]) -> String? {
        let delivered = events.compactMap { if case .message(let number) = $0 { number } else { nil } }
        let got = read.events
        var position = delivered.startIndex
        for number in got {
            guard let found = delivered[position...].firstIndex(of: number) else {
                return "the consumer read \(number), not delivered in that order (read \(got))"
            }
            if schedule.policy == .backpressure && found != position {
                return "the consumer read \(number) but never \(delivered[position]) (backpressure drops nothing)"
            }
            position = found + 1
        }
        return nil
    }

    // MARK: The end

    /// Closes the manager, lets every timer run out, and checks that nothing is left behind.
    private func teardown() async -> String? {
        call("final close") { [world] in await world.manager.close() }
        await world.settle()
        for _ in 0..<100 where world.clock.pendingSleeps > 0 { await world.advanceToNextSleep() }
        if let broken = check() { return broken }
        if manager.state != .closed { return "still \(manager.state) after close()" }
        for call in state.withLock({ $0.calls }) where call.finishes() != 1 {
            return "\(call.name) returned \(call.finishes()) times (a waiter never resumed)"
        }
        if world.clock.pendingSleeps > 0 { return "\(world.clock.pendingSleeps) sleeps still pending" }
        for connection in world.transport.connections where !connection.isEnded {
            return "connection #\(connection.id) never ended (\(connection.phase))"
        }
        world.release()
        await world.settle()
        if !world.isManagerFreed { return "the manager was not freed once released" }
        return nil
    }
}
