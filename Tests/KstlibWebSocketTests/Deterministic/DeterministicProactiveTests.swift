// Proactive control: disconnects the application asks for, and what follows them.
import Synchronization
import Testing
@testable import KstlibWebSocket

@Suite(.timeLimit(.minutes(3))) struct DeterministicProactiveTests {
    func connected(_ adjust: (inout WebSocketConfiguration) -> Void = { _ in }) async -> SimulatedWorld {
        let world = SimulatedWorld(configuration: testConfiguration(adjust))
        world.start { try await world.manager.connect() }
        world.consume()
        await world.settle()
        #expect(world.manager.state == .connected)
        return world
    }

    @Test func requestDisconnectReconnectsAfterTheDelay() async {
        let world = await connected { $0.autoReconnect = true }
        defer { world.stop() }
        world.connection.serverSend(feed(1...2))
        let request = world.start { await world.manager.requestDisconnect(reconnectAfter: .seconds(5)) }
        await world.settle()
        #expect(request.isFinished)
        #expect(world.manager.state == .disconnected)
        #expect(world.clock.pendingDelays == [.seconds(5)])
        await world.advance(by: .seconds(5) - .nanoseconds(1))
        #expect(world.transport.connections.count == 1)
        await world.advance(by: .nanoseconds(1))
        #expect(world.manager.state == .connected)
        world.connection.serverSend(feed(3...3))
        await world.settle()
        #expect(world.received.events == ["1", "2", "3"], "the stream carries on")
        #expect(world.events.events == [.connect, .disconnect(.userRequested), .connect])
        let stats = world.manager.stats
        #expect((stats.proactiveDisconnects, stats.reactiveDisconnects, stats.reconnects) == (1, 0, 1))
    }

    @Test func requestDisconnectWithoutAPlanStaysDisconnected() async {
        let world = await connected { $0.autoReconnect = true }
        defer { world.stop() }
        world.start { await world.manager.requestDisconnect(reason: .scheduled) }
        await world.settle()
        #expect(world.manager.state == .disconnected)
        #expect(world.clock.pendingSleeps == 0)
        #expect(world.events.events == [.connect, .disconnect(.scheduled)])
        let reconnect = world.start { try await world.manager.connect() }
        await world.settle()
        #expect(reconnect.isFinished && world.manager.state == .connected)
    }

    @Test func shouldDisconnectIsAskedEveryIntervalThenShouldReconnect() async {
        let asked = Mutex(0)
        let world = await connected {
            $0.disconnectCheckInterval = .seconds(10)
            $0.reconnectCheckInterval = .seconds(3)
            $0.shouldDisconnect = {
                asked.withLock {
                    $0 += 1
                    return $0 == 3
                }
            }
            let reconnectAnswers = Mutex<[ReconnectDecision]>([.notYet, .after(.seconds(1))])
            $0.shouldReconnect = { reconnectAnswers.withLock { $0.isEmpty ? .now : $0.removeFirst() } }
        }
        defer { world.stop() }
        // Each check sleeps from when the last one ended: time moves one interval at a time.
        await world.advance(by: .seconds(10))
        await world.advance(by: .seconds(10))
        #expect(asked.withLock { $0 } == 2)
        #expect(world.manager.state == .connected)
        await world.advance(by: .seconds(10))
        #expect(world.manager.state == .disconnected)
        #expect(world.events.events == [.connect, .disconnect(.callbackTriggered)])
        // shouldReconnect: "not yet" (3 s later asked again), then "after 1 s".
        await world.advance(by: .seconds(3))
        #expect(world.manager.state == .disconnected)
        await world.advance(by: .seconds(1))
        #expect(world.manager.state == .connected)
        #expect(world.transport.connections.count == 2)
    }

    @Test func maxConnectionAgeRotatesBeforeTheLimit() async {
        let world = await connected {
            $0.maxConnectionAge = .seconds(60)
            $0.disconnectMargin = .seconds(5)
        }
        defer { world.stop() }
        await world.advance(by: .seconds(55) - .nanoseconds(1))
        #expect(world.transport.connections.count == 1)
        await world.advance(by: .nanoseconds(1))
        #expect(world.transport.connections.count == 2)
        #expect(world.manager.state == .connected)
        #expect(world.events.events == [.connect, .disconnect(.connectionLimit), .connect])
        // The new connection gets its own age limit.
        await world.advance(by: .seconds(55))
        #expect(world.transport.connections.count == 3)
    }

    @Test func scheduleReconnectDisconnectsThenComesBack() async {
        let world = await connected()
        defer { world.stop() }
        world.start { await world.manager.scheduleReconnect(after: .seconds(3)) }
        await world.settle()
        #expect(world.manager.state == .disconnected)
        await world.advance(by: .seconds(3))
        #expect(world.manager.state == .connected)
        #expect(world.events.events == [.connect, .disconnect(.scheduled), .connect])
    }
}
