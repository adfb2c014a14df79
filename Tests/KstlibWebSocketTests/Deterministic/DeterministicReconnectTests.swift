// Every reconnect strategy's exact delays, on the in-memory transport and the virtual clock.
import Synchronization
import Testing
@testable import KstlibWebSocket

@Suite(.timeLimit(.minutes(3))) struct DeterministicReconnectTests {
    static let refused = WebSocketHandshakeFailure(kind: .connectFailed, reason: "refused (simulated)")

    /// Connects, drops the connection, lets every attempt fail, and returns the delay the
    /// manager waited before each attempt, each checked to the nanosecond: one nanosecond early
    /// nothing happens, at the delay the attempt starts.
    func delays(_ adjust: (inout WebSocketConfiguration) -> Void) async throws -> [Duration] {
        let world = SimulatedWorld(
            configuration: testConfiguration {
                $0.autoReconnect = true
                $0.maxReconnectAttempts = 6
                adjust(&$0)
            })
        defer { world.stop() }
        let connect = world.start { try await world.manager.connect() }
        await world.settle()
        #expect(connect.isFinished && connect.error == nil)
        let attempts = world.manager.configuration.maxReconnectAttempts
        for _ in 0..<attempts { world.transport.script(.refuse(Self.refused)) }
        world.connection.fail(.dropped)
        await world.settle()
        var delays: [Duration] = []
        for attempt in 1...attempts {
            let before = world.transport.connections.count
            guard let delay = world.clock.pendingDelays.first else {
                // Nothing to wait for: every attempt left ran at once, without time moving.
                #expect(before == 1 + attempts, "attempt \(attempt) neither ran nor waits")
                delays += Array(repeating: .zero, count: attempts - delays.count)
                break
            }
            #expect(world.manager.state == .reconnecting)
            #expect(world.clock.pendingDelays.count == 1)
            await world.advance(by: delay - .nanoseconds(1))
            #expect(world.transport.connections.count == before, "attempt \(attempt) started early")
            await world.advance(by: .nanoseconds(1))
            #expect(world.transport.connections.count == before + 1, "attempt \(attempt) started at \(delay)")
            delays.append(delay)
        }
        #expect(world.clock.elapsed == delays.reduce(.zero, +))
        #expect(world.manager.state == .disconnected)
        #expect(world.clock.pendingSleeps == 0)
        return delays
    }

    @Test func exponentialBackoffDoublesUpToTheCap() async throws {
        let delays = try await delays {
            $0.reconnectStrategy = .exponentialBackoff
            $0.reconnectDelay = .seconds(1)
            $0.maxReconnectDelay = .seconds(10)
        }
        #expect(delays == [1, 2, 4, 8, 10, 10].map { Duration.seconds($0) })
    }

    @Test func fixedDelayWaitsTheSameEveryTime() async throws {
        let delays = try await delays {
            $0.reconnectStrategy = .fixedDelay
            $0.reconnectDelay = .milliseconds(750)
        }
        #expect(delays == Array(repeating: .milliseconds(750), count: 6))
    }

    @Test func immediateDoesNotWait() async throws {
        let delays = try await delays { $0.reconnectStrategy = .immediate }
        #expect(delays == Array(repeating: .zero, count: 6))
    }

    /// `shouldReconnect` is asked every check interval while it says "not yet"; "after" waits
    /// what it asked for; "now" does not wait. The attempts follow exactly that.
    @Test func callbackControlledWaitsWhatTheCallbackSays() async throws {
        let answers = Mutex<[ReconnectDecision]>([
            .notYet, .notYet, .after(.seconds(3)), .now, .after(.milliseconds(500)),
        ])
        let world = SimulatedWorld(
            configuration: testConfiguration {
                $0.autoReconnect = true
                $0.maxReconnectAttempts = 3
                $0.reconnectStrategy = .callbackControlled
                $0.reconnectCheckInterval = .seconds(2)
                $0.shouldReconnect = { answers.withLock { $0.isEmpty ? .now : $0.removeFirst() } }
            })
        defer { world.stop() }
        world.start { try await world.manager.connect() }
        await world.settle()
        for _ in 0..<3 { world.transport.script(.refuse(Self.refused)) }
        world.connection.fail(.dropped)
        await world.settle()
        // (time moved, connections made after it)
        var steps: [(Duration, Int)] = []
        while let moved = await world.advanceToNextSleep() {
            steps.append((moved, world.transport.connections.count))
        }
        #expect(steps.map(\.0) == [.seconds(2), .seconds(2), .seconds(3), .milliseconds(500)])
        // Attempt 1 after 2 + 2 + 3 s; attempt 2 at once ("now"); attempt 3 after 0.5 s.
        #expect(steps.map(\.1) == [1, 1, 3, 4])
        #expect(world.manager.state == .disconnected)
    }
}
