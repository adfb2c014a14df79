// The model's state machine, reasons and strategies, and a real connection's walk through it.
import Foundation
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite(.timeLimit(.minutes(3))) struct StateMachineTests {
    typealias S = ConnectionState

    /// The transitions the model names: DISCONNECTED→CONNECTING→CONNECTED;
    /// CONNECTED→RECONNECTING→CONNECTED or →DISCONNECTED; CONNECTED→CLOSING→CLOSED;
    /// any state (but CLOSED itself)→CLOSED.
    static let modelTransitions: [(S, S)] = [
        (.disconnected, .connecting), (.connecting, .connected),
        (.connected, .reconnecting), (.reconnecting, .connected), (.reconnecting, .disconnected),
        (.connected, .closing), (.closing, .closed),
        (.disconnected, .closed), (.connecting, .closed), (.connected, .closed), (.reconnecting, .closed),
    ]

    /// Transitions that contradict the model: nothing leaves CLOSED, CLOSING only ends in
    /// CLOSED, CONNECTED is only reached by connecting, a connection is not re-made by
    /// "connecting" from CONNECTED or RECONNECTING, and a state does not move to itself.
    static let illegalTransitions: [(S, S)] =
        S.allCases.map { (.closed, $0) }
        + [(.closing, .disconnected), (.closing, .connecting), (.closing, .connected), (.closing, .reconnecting)]
        + [
            (.disconnected, .connected), (.connected, .connecting), (.reconnecting, .connecting),
            (.connecting, .reconnecting),
        ]
        + S.allCases.filter { $0 != .closed }.map { ($0, $0) }

    @Test func theModelsTransitionsAreAllowed() {
        for (from, to) in Self.modelTransitions {
            #expect(from.canTransition(to: to), "\(from) -> \(to)")
        }
    }

    @Test func illegalTransitionsAreRefused() {
        for (from, to) in Self.illegalTransitions {
            #expect(!from.canTransition(to: to), "\(from) -> \(to)")
        }
    }

    @Test func stateProperties() {
        for state in S.allCases {
            #expect(state.canConnect == (state == .disconnected), "\(state)")
            #expect(state.canSend == (state == .connected), "\(state)")
            #expect(state.isTerminal == (state == .closed), "\(state)")
        }
        #expect(S.allCases == [.disconnected, .connecting, .connected, .reconnecting, .closing, .closed])
    }

    @Test func reasonsAreProactiveOrReactive() {
        let proactive: Set<DisconnectReason> = [.userRequested, .scheduled, .callbackTriggered, .connectionLimit]
        let reactive: Set<DisconnectReason> = [.serverClosed, .networkError, .pingTimeout, .protocolError, .killed]
        #expect(Set(DisconnectReason.allCases) == proactive.union(reactive))
        for reason in DisconnectReason.allCases {
            #expect(reason.isProactive == proactive.contains(reason), "\(reason)")
            #expect(reason.isReactive == reactive.contains(reason), "\(reason)")
            #expect(reason.isProactive != reason.isReactive, "\(reason)")
        }
    }

    @Test func strategyDelays() {
        let base = Duration.seconds(1)
        let cap = Duration.seconds(5)
        let attempts = Array(1...7)
        #expect(
            attempts.map { ReconnectStrategy.immediate.delay(attempt: $0, base: base, maximum: cap) }
                == Array(repeating: .zero, count: 7))
        #expect(
            attempts.map { ReconnectStrategy.fixedDelay.delay(attempt: $0, base: base, maximum: cap) }
                == Array(repeating: base, count: 7))
        #expect(
            attempts.map { ReconnectStrategy.exponentialBackoff.delay(attempt: $0, base: base, maximum: cap) }
                == [1, 2, 4, 5, 5, 5, 5].map { Duration.seconds($0) })
        #expect(
            ReconnectStrategy.exponentialBackoff.delay(attempt: 4, base: .milliseconds(250), maximum: .seconds(60))
                == .seconds(2))
        // No overflow for absurd attempt numbers.
        #expect(
            ReconnectStrategy.exponentialBackoff.delay(attempt: 10_000, base: base, maximum: .seconds(60))
                == .seconds(60))
        #expect(ReconnectStrategy.exponentialBackoff.delay(attempt: 3, base: .zero, maximum: cap) == .zero)
        #expect(ReconnectStrategy.callbackControlled.delay(attempt: 3, base: base, maximum: cap) == .zero)
    }

    @Test func connectDropReconnectCloseWalksTheModel() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let log = EventLog<ManagerEvent>()
        let config = testConfiguration {
            $0.autoReconnect = true
            $0.reconnectStrategy = .immediate
            $0.record(into: log)
        }
        let manager = WebSocketManager(url: server.url("/echo"), configuration: config)
        #expect(manager.stateHistory == [.disconnected])
        try await manager.connect()
        server.dropAllConnections()
        #expect(await log.wait(count: 3))
        #expect(log.events == [.connect, .disconnect(.networkError), .connect])
        await manager.close()
        #expect(
            manager.stateHistory == [
                .disconnected, .connecting, .connected, .reconnecting, .connected, .closing, .closed,
            ])
        // Every step of the walk is one the state machine allows.
        let walk = manager.stateHistory
        for (from, to) in zip(walk, walk.dropFirst()) {
            #expect(from.canTransition(to: to), "\(from) -> \(to)")
        }
    }

    @Test func aFailedReconnectWalksToDisconnected() async throws {
        let server = try EmbeddedWebSocketServer()
        let config = testConfiguration {
            $0.autoReconnect = true
            $0.reconnectStrategy = .immediate
            $0.maxReconnectAttempts = 2
        }
        let manager = WebSocketManager(url: server.url("/echo"), configuration: config)
        try await manager.connect()
        server.stop()
        let (_, error) = try await within(.seconds(60)) { await drain(manager) }
        #expect(error is WebSocketReconnectError, "\(String(describing: error))")
        #expect(manager.stateHistory == [.disconnected, .connecting, .connected, .reconnecting, .disconnected])
    }
}
