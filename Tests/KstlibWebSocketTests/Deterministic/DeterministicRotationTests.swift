// Gapless rotation: the new connection ahead, behind, never overlapping, or failing to open.
import Testing
@testable import KstlibWebSocket

@Suite(.timeLimit(.minutes(3))) struct DeterministicRotationTests {
    /// Connected with gapless rotation, 1...`delivered` read; a rotation then started, its new
    /// connection open beside the old one.
    func rotating(delivered: Int) async -> (SimulatedWorld, Call<Void>) {
        let world = SimulatedWorld(
            configuration: testConfiguration {
                $0.gaplessRotation = true
                $0.rotationOverlapTimeout = .seconds(10)
            })
        world.start { try await world.manager.connect() }
        world.consume()
        await world.settle()
        world.connection.serverSend(feed(1...delivered))
        let rotation = world.start { await world.manager.requestDisconnect(reconnectAfter: .zero) }
        await world.settle()
        #expect(world.transport.connections.count == 2)
        #expect(!rotation.isFinished, "waits for the overlap")
        return (world, rotation)
    }

    func expectRotated(_ world: SimulatedWorld, _ rotation: Call<Void>) {
        #expect(rotation.isFinished)
        #expect(world.manager.state == .connected)
        #expect(world.transport.connections[0].closeSent?.code == .normalClosure)
        #expect(world.manager.stats.rotations == 1)
        let lifecycle = world.events.events.filter { if case .alert = $0 { false } else { true } }
        #expect(lifecycle == [.connect, .disconnect(.userRequested), .connect])
    }

    @Test func newConnectionAheadSwitchesAtTheFirstCommonMessage() async {
        let (world, rotation) = await rotating(delivered: 3)
        defer { world.stop() }
        let (old, new) = (world.transport.connections[0], world.transport.connections[1])
        new.serverSend(feed(5...7))
        await world.settle()
        #expect(world.received.events == ["1", "2", "3"], "held back until the overlap")
        old.serverSend(feed(4...5))
        await world.settle()
        expectRotated(world, rotation)
        new.serverSend(feed(8...8))
        await world.settle()
        #expect(world.received.events == (1...8).map(String.init))
        #expect(world.manager.stats.messagesReceived == 8)
    }

    @Test func newConnectionBehindSkipsWhatWasDelivered() async {
        let (world, rotation) = await rotating(delivered: 4)
        defer { world.stop() }
        let (old, new) = (world.transport.connections[0], world.transport.connections[1])
        new.serverSend(feed(2...6))
        await world.settle()
        old.serverSend(feed(5...5))
        await world.settle()
        expectRotated(world, rotation)
        #expect(world.received.events == (1...6).map(String.init))
    }

    @Test func noOverlapForcesTheSwitchAtTheTimeout() async {
        let (world, rotation) = await rotating(delivered: 2)
        defer { world.stop() }
        world.transport.connections[1].serverSend(feed(100...101))
        await world.advance(by: .seconds(10) - .nanoseconds(1))
        #expect(!rotation.isFinished)
        await world.advance(by: .nanoseconds(1))
        expectRotated(world, rotation)
        #expect(world.received.events == ["1", "2", "100", "101"])
        #expect(world.events.events.contains { if case .alert("rotation", _) = $0 { true } else { false } })
    }

    /// `forceClose()` between a rotation's switch and the new connection's promotion ends the
    /// rotation: what the new connection reads next is not delivered, and it is closed, not
    /// made current.
    @Test func forceCloseBetweenTheSwitchAndThePromotionDeliversNothingMore() async {
        let (world, rotation) = await rotating(delivered: 3)
        defer { world.stop() }
        let (old, new) = (world.transport.connections[0], world.transport.connections[1])
        new.serverSend(feed(4...6))
        await world.settle()
        #expect(world.received.events == ["1", "2", "3"], "held back until the overlap")
        // Queued together from the simulation thread, so they run in this order: the overlap (4
        // from the old connection: the switch), forceClose(), the new connection's next
        // messages, and only then the rotation's own task, which would promote the new connection.
        world.simulation.execute {
            old.serverSend(feed(4...4))
            world.start { world.manager.forceClose() }
            new.serverSend(feed(7...8))
        }
        await world.advance(by: .seconds(10))
        #expect(rotation.isFinished)
        #expect(world.manager.state == .closed)
        #expect(world.received.events == (1...6).map(String.init))
        #expect(world.manager.stats.messagesReceived == 6)
        #expect(world.manager.stats.rotations == 0)
        #expect(new.isEnded, "the new connection is \(new.phase)")
    }

    @Test func aNewConnectionThatFailsFallsBackToBreakBeforeMake() async {
        let world = SimulatedWorld(configuration: testConfiguration { $0.gaplessRotation = true })
        defer { world.stop() }
        world.start { try await world.manager.connect() }
        await world.settle()
        world.transport.script(.refuse(.init(kind: .connectFailed, reason: "simulated")))
        let rotation = world.start { await world.manager.requestDisconnect(reconnectAfter: .zero) }
        await world.settle()
        #expect(rotation.isFinished)
        #expect(world.transport.connections.count == 3, "the failed standby, then a plain reconnect")
        #expect(world.manager.state == .connected)
        #expect(world.manager.stats.rotations == 0)
        #expect(world.events.events.contains { if case .alert("rotation", _) = $0 { true } else { false } })
    }

    /// Found by the simulation (seeds 1048201, 1075416): close() during a rotation that had
    /// switched gave the rotation up and unfroze the old connection, which then delivered again
    /// what the new one had already delivered.
    @Test func closingAfterTheSwitchKeepsTheOldConnectionFrozen() async {
        let (world, rotation) = await rotating(delivered: 1)
        defer { world.stop() }
        let (old, new) = (world.transport.connections[0], world.transport.connections[1])
        old.stallWrites(true)
        let close = world.start { await world.manager.close() }
        await world.settle()
        #expect(world.manager.state == .closing)
        new.serverSend(feed(1...2))
        await world.settle()
        #expect(rotation.isFinished)
        old.serverSend(feed(2...3))
        await world.advance(by: world.manager.configuration.closeTimeout)
        #expect(close.isFinished && world.manager.state == .closed)
        #expect(world.received.events == ["1", "2"])
    }

    /// Found by the simulation (seed 18297): the connection a rotation replaced was sent a close
    /// and forgotten; when the close never went out (a network taking nothing), it stayed open.
    @Test func theReplacedConnectionIsCutWhenItsCloseDoesNotComplete() async {
        let (world, rotation) = await rotating(delivered: 2)
        defer { world.stop() }
        let (old, new) = (world.transport.connections[0], world.transport.connections[1])
        old.stallWrites(true)
        new.serverSend(feed(2...3))
        await world.settle()
        #expect(rotation.isFinished && world.manager.stats.rotations == 1)
        #expect(!old.isEnded)
        await world.advance(by: world.manager.configuration.closeTimeout)
        #expect(old.phase == .ended(.aborted))
        #expect(world.clock.pendingSleeps == 0)
    }

    /// Found by the simulation (seed 789): what a forced switch let through was not remembered
    /// as delivered, so the next rotation's new connection could deliver it again.
    @Test func aForcedSwitchsMessagesCountAsDeliveredForTheNextRotation() async {
        let (world, first) = await rotating(delivered: 2)
        defer { world.stop() }
        world.transport.connections[1].serverSend(feed(3...4))
        await world.advance(by: .seconds(10))
        expectRotated(world, first)
        world.transport.connections[1].serverSend(feed(5...5))
        let second = world.start { await world.manager.requestDisconnect(reconnectAfter: .zero) }
        await world.settle()
        let newest = world.connection
        #expect(newest.isStandby && newest.id == 3)
        newest.serverSend(feed(4...4))
        await world.advance(by: .seconds(10))
        newest.serverSend(feed(6...6))
        await world.settle()
        #expect(second.isFinished)
        #expect(world.received.events == (1...6).map(String.init))
    }

    /// Found by the simulation (seed 463): once the switch was made, the old connection's
    /// ordinary end (the rotation closes it) abandoned the merger while the new connection was
    /// still catching up, and what it repeated was delivered twice.
    @Test func theOldConnectionsEndDoesNotStopTheCatchUp() async {
        let (world, rotation) = await rotating(delivered: 4)
        defer { world.stop() }
        let (old, new) = (world.transport.connections[0], world.transport.connections[1])
        new.serverSend(feed(3...3))
        await world.settle()
        expectRotated(world, rotation)
        #expect(old.isEnded, "the old connection's close completed")
        new.serverSend(feed(4...6))
        await world.settle()
        #expect(world.received.events == (1...6).map(String.init))
    }

    /// Found by the simulation (seed 252): a new connection that repeats messages delivered just
    /// before the rotation started (a server replaying its last messages to a new subscriber)
    /// was not seen as behind; with no overlap, the forced switch delivered the repeats twice.
    @Test func aNewConnectionRepeatingMessagesFromBeforeTheRotationIsBehind() async {
        let (world, rotation) = await rotating(delivered: 4)
        defer { world.stop() }
        world.transport.connections[1].serverSend(feed(3...6))
        await world.settle()
        expectRotated(world, rotation)
        #expect(world.received.events == (1...6).map(String.init))
        #expect(!world.events.events.contains { if case .alert = $0 { true } else { false } }, "no forced switch")
    }

    /// Found by the simulation (seed 28): the alert of a forced switch came after the messages
    /// the switch let through, so a reader could not tell where the feed may have a gap.
    @Test func theForcedSwitchAlertComesBeforeTheMessagesItLetThrough() async {
        let order = EventLog<String>()
        let world = SimulatedWorld(
            configuration: testConfiguration {
                $0.gaplessRotation = true
                $0.rotationOverlapTimeout = .seconds(3)
                $0.onMessage = { order.append($0.text ?? "") }
                $0.onAlert = { order.append("\($0.kind)") }
            })
        defer { world.stop() }
        world.start { try await world.manager.connect() }
        await world.settle()
        world.connection.serverSend(feed(1...1))
        world.start { await world.manager.requestDisconnect(reconnectAfter: .zero) }
        await world.settle()
        world.transport.connections[1].serverSend(feed(3...4))
        await world.advance(by: .seconds(3))
        #expect(order.events == ["1", "rotationForcedSwitch", "3", "4"])
    }

    /// Found by the simulation (seed 238): the new connection ended while the rotation waited for
    /// the overlap, and the rotation made it current anyway; no end would ever come for it, so
    /// the manager stayed "connected" to nothing and `close()` hung in `closing`.
    @Test func aNewConnectionThatEndsBeforeTheSwitchIsNeverMadeCurrent() async {
        let (world, rotation) = await rotating(delivered: 2)
        defer { world.stop() }
        world.transport.connections[1].serverClose(.policyViolation)
        await world.settle()
        #expect(rotation.isFinished)
        #expect(world.manager.stats.rotations == 0)
        // It falls back to break-before-make: the old connection closes, a third one opens.
        #expect(world.transport.connections.count == 3)
        #expect(world.transport.connections[0].isEnded)
        #expect(world.manager.state == .connected)
        world.connection.serverSend(feed(3...3))
        await world.settle()
        #expect(world.received.events == ["1", "2", "3"])
        let close = world.start { await world.manager.close() }
        await world.settle()
        #expect(close.isFinished && world.manager.state == .closed)
    }
}
