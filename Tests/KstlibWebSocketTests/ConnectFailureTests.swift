// Failures before the upgrade completes, each provoked for real on loopback.
import Foundation
import HTTPTypes
import Glibc
import Testing
@testable import KstlibWebSocket

@Suite(.timeLimit(.minutes(3))) struct ConnectFailureTests {
    @Test func refusedPortIsAConnectionErrorSayingWhy() async throws {
        let port = refusedPort()
        let url = "ws://127.0.0.1:\(port)/echo"
        let manager = WebSocketManager(url: url, configuration: testConfiguration())
        let error = try await #require(throws: WebSocketConnectionError.self) { try await manager.connect() }
        #expect(error.url == url)
        #expect(error.attempts == 1)
        let failure = try #require(error.lastError as? WebSocketHandshakeFailure)
        #expect(failure.kind == .connectFailed)
        #expect(failure.socketError == .connectionRefused)
        #expect(failure.reason == "connection refused (ECONNREFUSED) to 127.0.0.1:\(port)")
        #expect(manager.state == .disconnected)
    }

    @Test func unresolvableHostIsADNSFailure() async throws {
        let url = "ws://no-such-host.invalid:9/"
        let manager = WebSocketManager(url: url, configuration: testConfiguration())
        let error = try await #require(throws: WebSocketConnectionError.self) { try await manager.connect() }
        let failure = try #require(error.lastError as? WebSocketHandshakeFailure)
        #expect(failure.kind == .dnsFailure)
        #expect(failure.reason.contains("no-such-host.invalid"))
    }

    @Test func retriesAreCountedInAttempts() async throws {
        let url = "ws://127.0.0.1:\(refusedPort())/"
        let config = testConfiguration {
            $0.autoReconnect = true
            $0.maxReconnectAttempts = 3
            $0.reconnectStrategy = .immediate
        }
        let manager = WebSocketManager(url: url, configuration: config)
        let error = try await #require(throws: WebSocketConnectionError.self) { try await manager.connect() }
        #expect(error.attempts == 3)
    }

    @Test func non101AnswerKeepsTheStatusAndHeaders() async throws {
        let server = try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            try peer.sendHTTP(
                status: 403, reason: "Forbidden", headers: ["Content-Type: text/plain", "Retry-After: 7"], body: "no")
        }
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/feed"), configuration: testConfiguration())
        let error = try await #require(throws: WebSocketConnectionError.self) { try await manager.connect() }
        #expect(error.httpStatus == 403)
        let failure = try #require(error.lastError as? WebSocketHandshakeFailure)
        #expect(failure.kind == .httpStatus)
        #expect(failure.headers["retry-after"] == "7")
        #expect(failure.headers["content-type"] == "text/plain")
        #expect(failure.responseHeaders == [.contentLength: "2", .contentType: "text/plain", .retryAfter: "7"])
    }

    /// A header libwebsockets has no token for survives on every version: listed by the library
    /// from 4.3, read by the replay of the upgrade before (UpgradeReplayTests has the replay
    /// switched off, where only 4.3 and later keep it).
    @Test func aCustomRejectionHeaderIsKept() async throws {
        let server = try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            try peer.sendHTTP(status: 403, reason: "Forbidden", headers: ["X-Reject-Reason: banned"], body: "no")
        }
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/feed"), configuration: testConfiguration())
        let error = try await #require(throws: WebSocketConnectionError.self) { try await manager.connect() }
        let failure = try #require(error.lastError as? WebSocketHandshakeFailure)
        #expect(failure.httpStatus == 403)
        #expect(failure.headers["x-reject-reason"] == "banned", "\(failure.headers)")
    }

    @Test func redirectsAreNotFollowedSilently() async throws {
        let server = try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            try peer.sendHTTP(status: 302, reason: "Found", headers: ["Location: ws://127.0.0.1:1/elsewhere"])
        }
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/"), configuration: testConfiguration())
        let error = try await #require(throws: WebSocketConnectionError.self) { try await manager.connect() }
        #expect(error.httpStatus == 302)
        #expect((error.lastError as? WebSocketHandshakeFailure)?.headers["location"] == "ws://127.0.0.1:1/elsewhere")
    }

    @Test func noAnswerWithinTheTimeoutIsAConnectTimeout() async throws {
        let server = try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            _ = peer.waitForEOF(timeout: .seconds(10)) // never answers
        }
        defer { server.stop() }
        let config = testConfiguration { $0.connectionTimeout = .milliseconds(300) }
        let manager = WebSocketManager(url: server.url("/"), configuration: config)
        let error = try await #require(throws: WebSocketTimeoutError.self) { try await manager.connect() }
        #expect(error.operation == .connect)
        #expect(error.timeout == .milliseconds(300))
        #expect(manager.state == .disconnected)
        // The abandoned attempt's socket is closed, not leaked.
        #expect(server.waitForScripts(count: 1, timeout: .seconds(5)))
    }

    @Test func badAcceptHashIsAHandshakeError() async throws {
        let server = try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            try peer.sendRaw(
                Array(
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n"
                        .utf8))
            _ = peer.waitForEOF(timeout: .seconds(5))
        }
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/"), configuration: testConfiguration())
        let error = try await #require(throws: WebSocketConnectionError.self) { try await manager.connect() }
        let failure = try #require(error.lastError as? WebSocketHandshakeFailure)
        #expect(failure.kind == .badHandshake)
        #expect(failure.reason == "the server did not answer the upgrade request with a valid WebSocket handshake")
    }

    /// The upgrade request goes out and the server ends the connection instead of answering.
    @Test(arguments: [false, true])
    func anUnansweredUpgradeSaysHowItEnded(reset: Bool) async throws {
        let server = try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            if reset { peer.reset() } else { peer.close() }
        }
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/"), configuration: testConfiguration())
        let error = try await #require(throws: WebSocketConnectionError.self) { try await manager.connect() }
        let failure = try #require(error.lastError as? WebSocketHandshakeFailure)
        #expect(failure.kind == .closedDuringHandshake, "\(failure)")
        if reset {
            #expect(failure.socketError == .connectionReset)
            #expect(failure.reason == "connection reset (ECONNRESET) before the upgrade was answered")
        } else {
            #expect(failure.reason == "the server closed the connection without answering the upgrade request")
        }
    }

    /// In a network namespace of its own (no route anywhere), a connect fails with the operating
    /// system's reason, in our words, whatever libwebsockets says: run through `kstlib-ws`, since
    /// only a new process can enter the namespace.
    @Test(.enabled(if: privateNetworkAvailable, "needs `unshare -n` (root or user namespaces)"))
    func anUnreachableNetworkIsNamed() async throws {
        guard let client = exampleExecutable("kstlib-ws") else { return }
        let process = try ChildProcess(
            URL(fileURLWithPath: "/usr/bin/unshare"),
            arguments: ["-n", client.path, "--no-reconnect", "--listen", "ws://192.0.2.1:9/"])
        #expect(try await process.exit() == 1)
        let line = try #require(ownLines(process).first)
        #expect(line.contains("network unreachable (ENETUNREACH) to 192.0.2.1:9"), "\(line)")
    }
}

/// Whether this process may create a network namespace (`unshare -n true` succeeds).
let privateNetworkAvailable: Bool = {
    let probe = Process()
    probe.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
    probe.arguments = ["-n", "true"]
    probe.standardError = FileHandle.nullDevice
    guard (try? probe.run()) != nil else { return false }
    probe.waitUntilExit()
    return probe.terminationStatus == 0
}()
