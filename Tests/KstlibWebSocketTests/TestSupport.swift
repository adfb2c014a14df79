// Small helpers shared by the tests: configurations, free ports, bounded waits.
import Testing
import Foundation
import CLibWebSockets
import Glibc
import Synchronization
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

/// A configuration for tests: no retries, no keepalive, short timeouts.
func testConfiguration(_ adjust: (inout WebSocketConfiguration) -> Void = { _ in }) -> WebSocketConfiguration {
    var config = WebSocketConfiguration()
    config.autoReconnect = false
    config.pingInterval = nil
    config.connectionTimeout = .seconds(5)
    config.closeTimeout = .seconds(2)
    adjust(&config)
    return config
}

/// A loopback port nobody listens on: bound, read back, then closed.
func refusedPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Expects `connect()` to fail with ``WebSocketConnectionError`` (within the usual bound) and
/// returns it.
func connectFailure(_ manager: WebSocketManager) async throws -> WebSocketConnectionError {
    try await #require(throws: WebSocketConnectionError.self) { try await within { try await manager.connect() } }
}

/// Collects every message of a stream until it ends, returning them and how it ended.
/// Bounded: a stream that has not ended after `limit` fails the test saying so, and the manager
/// is killed so that the stream ends.
func drain(_ manager: WebSocketManager, limit: Duration = .seconds(30)) async -> (
    messages: [WebSocketMessage], error: (any Error)?
) {
    let watchdog = Task {
        try await Task.sleep(for: limit)
        Issue.record("drain: the manager's stream did not end within \(limit)")
        manager.kill()
    }
    defer { watchdog.cancel() }
    var messages: [WebSocketMessage] = []
    do {
        for try await message in manager.stream() { messages.append(message) }
        return (messages, nil)
    } catch {
        return (messages, error)
    }
}

/// Runs `body` and fails with a timeout error instead of hanging the suite, even when `body`
/// ignores cancellation (awaiting another task's value, say).
func within<T: Sendable>(_ limit: Duration = .seconds(20), _ body: @escaping @Sendable () async throws -> T)
    async throws -> T
{
    let gate = FirstResult<T>()
    let work = Task { gate.offer(await Result { try await body() }) }
    let timer = Task {
        try? await Task.sleep(for: limit)
        gate.offer(.failure(TestTimeout(limit: limit)))
        work.cancel()
    }
    defer { timer.cancel() }
    return try await gate.value()
}

/// Keeps the first result offered and hands it to the one waiter, whichever comes first.
final class FirstResult<T: Sendable>: Sendable {
    private struct State {
        var result: Result<T, any Error>?
        var waiter: CheckedContinuation<T, any Error>?
    }
    private let state = Mutex(State())

    func offer(_ result: Result<T, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<T, any Error>? in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: result)
    }

    func value() async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLock { state -> Result<T, any Error>? in
                if let result = state.result { return result }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

struct TestTimeout: Error, CustomStringConvertible {
    let limit: Duration
    /// What was awaited, when known.
    var waitingFor: String? = nil
    var description: String {
        waitingFor.map { "waited \(limit) for \($0)" } ?? "the test did not finish within \(limit)"
    }
}

/// The deprecated tuple `headers`, reached through a protocol so the tests that check how it
/// refuses what `HTTPFields` cannot hold compile without a deprecation warning.
protocol LegacyHeaders {
    var headers: [(name: String, value: String)] { get set }
}

extension WebSocketConfiguration: LegacyHeaders {}

extension LegacyHeaders {
    /// Sets the deprecated tuple headers.
    mutating func setLegacyHeaders(_ headers: [(name: String, value: String)]) { self.headers = headers }
    /// Reads the deprecated tuple headers.
    var legacyHeaders: [(name: String, value: String)] { headers }
}
