// error-handling: kstlib.websocket's try/except example, in Swift, against real failures.
//
// The Python original:
//
//     try:
//         async with WebSocketManager(url) as ws:
//             async for message in ws.stream():
//                 process(message)
//     except WebSocketConnectionError as e: log.error(f"Failed to connect to {e.url} after {e.attempts} attempts")
//     except WebSocketClosedError as e:     log.warning(f"Connection closed: {e.code} - {e.reason}")
//     except WebSocketTimeoutError as e:    log.warning(f"Timeout during {e.operation}: {e.timeout}s")
//     except WebSocketReconnectError as e:  log.error(f"Reconnection failed after {e.attempts} attempts")
//     except WebSocketError as e:           log.error(f"WebSocket error: {e}")
//
// Nothing is simulated: the example starts an EmbeddedWebSocketServer on loopback and provokes
// each failure for real, one scenario after the other (a refused port, a bad URL, a server close
// with 4001, a dropped TCP connection, a receive timeout, reconnection exhausted after the server
// went away). Each scenario prints which catch clause handled it and the error's fields.
//
// Run: swift run error-handling
// Exits 0 when every scenario was handled by the catch clause it should have been, 1 otherwise.
import Foundation
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import KstlibWebSocket
import KstlibWebSocketServer

// MARK: - The seed's example

/// The catch clause that handled a scenario's error, named after the error type it catches.
enum CatchClause: String {
    case connection = "WebSocketConnectionError"
    case closed = "WebSocketClosedError"
    case timeout = "WebSocketTimeoutError"
    case reconnect = "WebSocketReconnectError"
    case anyWebSocketError = "any WebSocketError"
    case otherError = "a non-WebSocket error"
    case noError = "no error"
}

/// What the seed's `process(message)` does: here, just show it.
func process(_ message: WebSocketMessage) {
    print("   received: \(message)")
}

/// `async with WebSocketManager(url) as ws: async for message in ws.stream(): process(message)`.
func streamMessages(from url: String, configuration: WebSocketConfiguration) async throws {
    try await withWebSocket(url: url, configuration: configuration) { ws in
        for try await message in ws.stream() {
            process(message)
        }
    }
}

/// The seed's `try` / `except` chain, clause for clause and in the same order: runs `body`, prints
/// what the clause that caught its error logs, and returns that clause.
func handleErrors(_ body: () async throws -> Void) async -> CatchClause {
    do {
        try await body()
        print("   no error was thrown")
        return .noError
    } catch let e as WebSocketConnectionError {
        print("   caught WebSocketConnectionError: Failed to connect to \(e.url) after \(e.attempts) attempts")
        print("     lastError: \(e.lastError.map { String(describing: $0) } ?? "none")")
        return .connection
    } catch let e as WebSocketClosedError {
        print("   caught WebSocketClosedError: Connection closed: \(e.code) - \(e.reason)")
        return .closed
    } catch let e as WebSocketTimeoutError {
        print("   caught WebSocketTimeoutError: Timeout during \(e.operation): \(e.timeout)")
        return .timeout
    } catch let e as WebSocketReconnectError {
        print("   caught WebSocketReconnectError: Reconnection failed after \(e.attempts) attempts")
        print("     lastError: \(e.lastError.map { String(describing: $0) } ?? "none")")
        return .reconnect
    } catch let e as any WebSocketError {
        print("   caught any WebSocketError: WebSocket error: \(e)")
        return .anyWebSocketError
    } catch {
        print("   caught a non-WebSocket error: \(error)")
        return .otherError
    }
}

// MARK: - Provoking real failures

/// A loopback port nobody listens on: a socket is bound to 127.0.0.1:0, the port the system
/// picked is read back, and the socket is closed, so connecting to it is refused.
func refusedPort() -> Int? {
    #if os(Linux)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard bound == 0, named == 0 else { return nil }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// No keepalive, short timeouts, no reconnection unless a scenario asks for it.
func exampleConfiguration(_ adjust: (inout WebSocketConfiguration) -> Void = { _ in }) -> WebSocketConfiguration {
    var config = WebSocketConfiguration()
    config.pingInterval = nil
    config.connectionTimeout = .seconds(2)
    config.closeTimeout = .seconds(1)
    config.autoReconnect = false
    adjust(&config)
    return config
}

/// One provoked failure and the catch clause that should handle it.
struct Scenario {
    let name: String
    let expected: CatchClause
    let run: () async throws -> Void
}

let server: EmbeddedWebSocketServer
do {
    server = try EmbeddedWebSocketServer(host: "127.0.0.1", port: 0)
} catch {
    print("cannot start the embedded server: \(error)")
    exit(1)
}
print("embedded server listening on 127.0.0.1:\(server.port)")

guard let deadPort = refusedPort() else {
    print("cannot find a free loopback port")
    exit(1)
}

let scenarios: [Scenario] = [
    Scenario(name: "refused port (3 attempts, 100 ms apart)", expected: .connection) {
        let config = exampleConfiguration {
            $0.autoReconnect = true // the initial connect retries too
            $0.maxReconnectAttempts = 3
            $0.reconnectStrategy = .fixedDelay
            $0.reconnectDelay = .milliseconds(100)
        }
        try await streamMessages(from: "ws://127.0.0.1:\(deadPort)/echo", configuration: config)
    },
    Scenario(name: "bad URL: http://example.com", expected: .connection) {
        try await streamMessages(from: "http://example.com", configuration: exampleConfiguration())
    },
    Scenario(name: "server closes with 4001 \"maintenance\"", expected: .closed) {
        try await streamMessages(
            from: server.url("/close?code=4001&reason=maintenance"), configuration: exampleConfiguration())
    },
    Scenario(name: "TCP connection dropped without a close frame", expected: .closed) {
        try await streamMessages(from: server.url("/drop"), configuration: exampleConfiguration())
    },
    Scenario(name: "nothing received within 300 ms", expected: .timeout) {
        try await withWebSocket(url: server.url("/echo"), configuration: exampleConfiguration()) { ws in
            process(try await ws.receive(timeout: .milliseconds(300)))
        }
    },
    Scenario(name: "reconnection exhausted after the server went away", expected: .reconnect) {
        let config = exampleConfiguration {
            $0.autoReconnect = true
            $0.maxReconnectAttempts = 2
            $0.reconnectStrategy = .fixedDelay
            $0.reconnectDelay = .milliseconds(100)
        }
        try await withWebSocket(url: server.url("/echo"), configuration: config) { ws in
            // The server closes with 1001 and stops listening: every reconnect is refused.
            server.stop()
            for try await message in ws.stream() {
                process(message)
            }
        }
    },
]

var matched = 0
for (number, scenario) in scenarios.enumerated() {
    print("")
    print("[\(number + 1)/\(scenarios.count)] \(scenario.name): expecting \(scenario.expected.rawValue)")
    let clause = await handleErrors(scenario.run)
    if clause == scenario.expected {
        matched += 1
        print("   ok: handled by the \(clause.rawValue) clause")
    } else {
        print("   UNEXPECTED: handled by \(clause.rawValue), expected \(scenario.expected.rawValue)")
    }
}
server.stop()

print("")
print("\(matched)/\(scenarios.count) scenarios were handled by the expected catch clause")
exit(matched == scenarios.count ? 0 : 1)
