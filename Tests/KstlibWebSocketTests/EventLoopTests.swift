// One loop thread for every connection; shutting it down with live connections is clean.
import Foundation
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite(.timeLimit(.minutes(3))) struct EventLoopTests {
    @Test func manyManagersShareOneLoop() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let loop = EventLoop()
        defer { loop.shutdown() }
        let managers = (0..<200).map { _ in
            WebSocketManager(
                url: server.url("/echo"), configuration: testConfiguration(), clock: ContinuousClock(), loop: loop)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, manager) in managers.enumerated() {
                group.addTask {
                    try await manager.connect()
                    try await manager.send("hello \(index)")
                    #expect(try await manager.receive(timeout: .seconds(10)) == .text("hello \(index)"))
                }
            }
            try await group.waitForAll()
        }
        #expect(loop.connectionCount == 200)
        for manager in managers { await manager.close() }
        #expect(loop.connectionCount == 0)
    }

    @Test func shuttingDownWithLiveConnectionsEndsThemCleanly() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let loop = EventLoop()
        let managers = (0..<20).map { _ in
            WebSocketManager(
                url: server.url("/ticker?rate=200"), configuration: testConfiguration(), clock: ContinuousClock(),
                loop: loop)
        }
        for manager in managers { try await manager.connect() }
        let readers = managers.map { manager in Task { await drain(manager) } }
        _ = try await managers[0].receive(timeout: .seconds(5))
        loop.shutdown(grace: .seconds(2))
        #expect(loop.connectionCount == 0)
        for reader in readers {
            let (_, error) = await reader.value
            // The loop said goodbye with 1001: a normal end of stream.
            #expect(error == nil, "\(String(describing: error))")
        }
        for manager in managers {
            #expect(manager.lastClose?.code == .goingAway)
            #expect(manager.state == .disconnected)
        }
        // A stopped loop refuses new work with a clear error instead of hanging.
        let late = WebSocketManager(
            url: server.url("/echo"), configuration: testConfiguration(), clock: ContinuousClock(), loop: loop)
        let error = try await #require(throws: WebSocketConnectionError.self) { try await late.connect() }
        #expect((error.lastError as? WebSocketHandshakeFailure)?.kind == .unavailable)
    }

    @Test func droppingAManagerWithoutClosingReleasesItsConnection() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let loop = EventLoop()
        defer { loop.shutdown() }
        let weakManager = WeakReference<WebSocketManager>()
        do {
            let manager = WebSocketManager(
                url: server.url("/echo"), configuration: testConfiguration(), clock: ContinuousClock(), loop: loop)
            weakManager.value = manager
            try await manager.connect()
            #expect(loop.connectionCount == 1)
        }
        // The loop thread may still be returning from a callback that held it for a moment.
        let freed = await waitUntil { weakManager.value == nil }
        #expect(freed)
        let released = await waitUntil { loop.connectionCount == 0 }
        #expect(released)
    }
}

/// Polls a cheap condition on the loop's own pace; for state with no event to wait on.
func waitUntil(timeout: Duration = .seconds(10), _ condition: @Sendable () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        await Task.yield()
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

/// A weak reference the polling closure may read from another task.
final class WeakReference<Object: AnyObject>: @unchecked Sendable {
    // Written once before the polling starts; read afterwards.
    weak var value: Object?
}
