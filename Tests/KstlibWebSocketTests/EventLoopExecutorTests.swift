// The event-loop thread as a task executor: request/response on the loop, and nothing lost when
// the loop stops under a task that prefers it.
import Foundation
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite(.timeLimit(.minutes(3))) struct EventLoopExecutorTests {
    @Test func aTaskPreferringTheLoopRunsOnItAndRoundTripsInOrder() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let loop = EventLoop()
        defer { loop.shutdown() }
        let manager = WebSocketManager(
            url: server.url("/echo"), configuration: testConfiguration(), clock: ContinuousClock(), loop: loop)
        let (onLoop, echoes) = try await withTaskExecutorPreference(manager.eventLoopExecutor) {
            try await manager.connect()
            var onLoop = loop.isServiceThread
            var echoes: [WebSocketMessage] = []
            for index in 0..<200 {
                try await manager.send("message \(index)")
                echoes.append(try await manager.receive(timeout: .seconds(10)))
                onLoop = onLoop && loop.isServiceThread
            }
            return (onLoop, echoes)
        }
        #expect(onLoop)
        #expect(echoes == (0..<200).map { .text("message \($0)") })
        #expect(!loop.isServiceThread)
        await manager.close()
        #expect(manager.state == .closed)
    }

    @Test func aStreamConsumedOnTheLoopSeesEveryMessage() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let loop = EventLoop()
        defer { loop.shutdown() }
        let manager = WebSocketManager(
            url: server.url("/push?count=2000&size=16"), configuration: testConfiguration(), clock: ContinuousClock(),
            loop: loop)
        let count = try await withTaskExecutorPreference(manager.eventLoopExecutor) {
            try await manager.connect()
            var count = 0
            for try await _ in manager.stream() {
                count += 1
                if count == 2000 { break }
            }
            return count
        }
        #expect(count == 2000)
        await manager.close()
    }

    /// A task that prefers a loop which then stops must still run to its end (on the global
    /// pool), with the error the stopped loop gives.
    @Test func aTaskOnAStoppedLoopStillFinishes() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let loop = EventLoop()
        let manager = WebSocketManager(
            url: server.url("/echo"), configuration: testConfiguration(), clock: ContinuousClock(), loop: loop)
        try await manager.connect()
        let receiving = Task(executorPreference: manager.eventLoopExecutor) { () async -> String in
            do {
                _ = try await manager.receive(timeout: .seconds(10))
                return "received"
            } catch {
                return "\(type(of: error))"
            }
        }
        loop.shutdown()
        let outcome = await receiving.value
        #expect(outcome == "WebSocketClosedError", "\(outcome)")
    }

    @Test func shuttingTheLoopDownFromATaskOnItDoesNotWaitForItself() async throws {
        let loop = EventLoop()
        let probe = WebSocketManager(
            url: "ws://127.0.0.1:9/", configuration: testConfiguration(), clock: ContinuousClock(), loop: loop)
        let ranOnLoop = await withTaskExecutorPreference(probe.eventLoopExecutor) { () async -> Bool in
            let onLoop = loop.isServiceThread
            loop.shutdown()
            return onLoop
        }
        #expect(ranOnLoop)
        // The stop went through: a later submit is refused.
        #expect(await waitUntil(timeout: .seconds(10)) { !loop.submit(.stop(grace: .zero)) })
    }
}
