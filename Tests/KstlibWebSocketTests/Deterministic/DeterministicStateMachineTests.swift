// The manager's state machine, callbacks and statistics, driven step by step without sockets.
import Foundation
import Testing
@testable import KstlibWebSocket

@Suite(.timeLimit(.minutes(3))) struct DeterministicStateMachineTests {
    /// A world whose manager is connected, its stream read by ``SimulatedWorld/consume()``.
    func connected(_ adjust: (inout WebSocketConfiguration) -> Void = { _ in }) async -> SimulatedWorld {
        let world = SimulatedWorld(configuration: testConfiguration(adjust))
        let connect = world.start { try await world.manager.connect() }
        world.consume()
        await world.settle()
        #expect(connect.isFinished && connect.error == nil, "connect: \(String(describing: connect.error))")
        return world
    }

    @Test func connectAndCloseWalkTheModel() async throws {
        let world = await connected()
        defer { world.stop() }
        #expect(world.manager.state == .connected)
        world.connection.serverSend(feed(1...3))
        await world.settle()
        let close = world.start { await world.manager.close() }
        await world.settle()
        #expect(close.isFinished)
        #expect(world.manager.stateHistory == [.disconnected, .connecting, .connected, .closing, .closed])
        #expect(world.connection.closeSent?.code == .normalClosure)
        #expect(world.received.events == ["1", "2", "3"])
        #expect(world.events.events == [.connect, .disconnect(.userRequested)])
        let stats = world.manager.stats
        #expect((stats.connects, stats.disconnects, stats.proactiveDisconnects) == (1, 1, 1))
        #expect((stats.messagesReceived, stats.bytesReceived) == (3, 3))
        #expect(world.clock.pendingSleeps == 0)
    }

    @Test func aServerCloseEndsTheStreamWithItsCode() async throws {
        for (code, normal) in [(WebSocketCloseCode.normalClosure, true), (.goingAway, true), (.internalError, false)] {
            let world = await connected()
            defer { world.stop() }
            world.connection.serverSend(feed(1...2))
            world.connection.serverClose(code, reason: "bye")
            await world.settle()
            #expect(world.manager.state == .disconnected)
            #expect(world.manager.lastClose?.code == code)
            #expect(world.received.events == ["1", "2"])
            #expect(world.events.events == [.connect, .disconnect(.serverClosed)])
            let ended = (world.manager.stats.reactiveDisconnects, world.manager.stats.disconnects)
            #expect(ended == (1, 1))
            let error = await world.streamEnding()
            if normal {
                #expect(error == nil, "\(code)")
            } else {
                #expect((error as? WebSocketClosedError)?.code == code, "\(code): \(String(describing: error))")
            }
        }
    }

    @Test func aDropReconnectsAfterTheDelay() async throws {
        let world = await connected {
            $0.autoReconnect = true
            $0.reconnectDelay = .seconds(2)
            $0.reconnectStrategy = .fixedDelay
        }
        defer { world.stop() }
        world.connection.serverSend(feed(1...2))
        world.connection.fail(.dropped)
        await world.settle()
        #expect(world.manager.state == .reconnecting)
        await world.advance(by: .seconds(2))
        #expect(world.manager.state == .connected)
        world.connection.serverSend(feed(3...4))
        await world.settle()
        #expect(world.received.events == ["1", "2", "3", "4"])
        #expect(world.manager.stateHistory == [.disconnected, .connecting, .connected, .reconnecting, .connected])
        #expect(world.events.events == [.connect, .disconnect(.networkError), .connect])
        let stats = world.manager.stats
        #expect((stats.connects, stats.reconnects, stats.reactiveDisconnects) == (2, 1, 1))
        // Timestamps come from the virtual clock: the reconnect happened exactly 2 s in.
        let connectedAt = try #require(stats.lastConnectTime)
        let droppedAt = try #require(stats.lastDisconnectTime)
        #expect(connectedAt.timeIntervalSince(droppedAt) == 2)
        await world.advance(by: .seconds(7))
        #expect(world.manager.connectionDuration == .seconds(7))
        #expect(world.manager.stats.connectionTime == .seconds(7))
        #expect(world.manager.stats.uptime == .seconds(9))
    }

    @Test func killStopsWithoutReconnecting() async throws {
        let world = await connected { $0.autoReconnect = true }
        defer { world.stop() }
        world.connection.serverSend(feed(1...2))
        await world.settle()
        let kill = world.start { world.manager.kill() }
        await world.settle()
        #expect(kill.isFinished)
        #expect(world.manager.state == .disconnected)
        #expect(world.connection.isEnded)
        #expect(world.clock.pendingSleeps == 0, "no reconnect is planned")
        #expect(world.events.events == [.connect, .disconnect(.killed)])
        #expect(world.received.events == ["1", "2"])
        #expect((await world.streamEnding() as? WebSocketClosedError)?.code == .abnormalClosure)
        #expect(world.manager.lastClose?.code == .abnormalClosure)
    }

    /// Found by the simulation (seeds 13946, 32771): kill() while connecting did nothing to the
    /// connection but ended the stream, so the messages of the connection that then opened were
    /// counted as received and thrown away.
    @Test func killWhileConnectingChangesNothing() async throws {
        let world = SimulatedWorld()
        defer { world.stop() }
        world.transport.script(.silence)
        let connect = world.start { try await world.manager.connect() }
        world.consume()
        await world.settle()
        #expect(world.manager.state == .connecting)
        world.start { world.manager.kill() }
        await world.settle()
        world.connection.accept()
        world.connection.serverSend(feed(1...2))
        await world.settle()
        #expect(connect.isFinished && connect.error == nil)
        #expect(world.received.events == ["1", "2"])
        #expect(world.streamCall?.isFinished == false, "the stream goes on")
        #expect(world.events.events == [.connect])
    }

    @Test func closeWhileReconnectingStopsTheAttempts() async throws {
        let world = await connected {
            $0.autoReconnect = true
            $0.reconnectDelay = .seconds(1)
        }
        defer { world.stop() }
        world.connection.fail(.dropped)
        await world.settle()
        #expect(world.manager.state == .reconnecting)
        #expect(world.clock.pendingSleeps == 1)
        let close = world.start { await world.manager.close() }
        await world.settle()
        #expect(close.isFinished)
        #expect(world.manager.state == .closed)
        #expect(world.clock.pendingSleeps == 0)
        #expect(world.transport.connections.count == 1)
        #expect(await world.streamEnding() == nil)
    }

    @Test func aConnectTimeoutAbortsTheAttempt() async throws {
        let world = SimulatedWorld(configuration: testConfiguration { $0.connectionTimeout = .seconds(5) })
        defer { world.stop() }
        world.transport.script(.silence)
        let connect = world.start { try await world.manager.connect() }
        await world.settle()
        #expect(!connect.isFinished)
        await world.advance(by: .seconds(5) - .nanoseconds(1))
        #expect(!connect.isFinished)
        await world.advance(by: .nanoseconds(1))
        #expect((connect.error as? WebSocketTimeoutError)?.operation == .connect)
        #expect(world.connection.phase == .ended(.aborted))
        #expect(world.manager.stateHistory == [.disconnected, .connecting, .disconnected])
    }

    @Test func callbacksRunInEventOrder() async throws {
        let order = EventLog<String>()
        let world = await connected {
            $0.autoReconnect = true
            $0.reconnectStrategy = .immediate
            $0.onMessage = { order.append("message \($0.text ?? "")") }
            $0.onConnect = { order.append("connect") }
            $0.onDisconnect = { order.append("disconnect \($0)") }
        }
        defer { world.stop() }
        world.connection.serverSend(feed(1...2))
        world.connection.fail(.dropped)
        await world.settle()
        world.connection.serverSend(feed(3...3))
        world.connection.serverClose(.normalClosure)
        await world.settle()
        #expect(
            order.events == [
                "connect", "message 1", "message 2", "disconnect networkError", "connect", "message 3",
                "disconnect serverClosed", "connect",
            ])
    }
}

extension SimulatedWorld {
    /// How the stream read by ``consume()`` ended: `nil` normally, else its error.
    func streamEnding() async -> (any Error)? {
        await settle()
        return streamCall?.error
    }
}
