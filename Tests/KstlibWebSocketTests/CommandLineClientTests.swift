// kstlib-ws, the command-line client, run as a process against the embedded server.
import Foundation
import Glibc
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite struct CommandLineClientTests {
    private func start(_ arguments: [String]) throws -> ChildProcess? {
        guard let executable = exampleExecutable("kstlib-ws") else { return nil }
        return try ChildProcess(executable, arguments: arguments)
    }

    @Test func linesTypedAreSentAndJSONRepliesArePrettyPrinted() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        guard let client = try start(["--json", "--count", "2", server.url("/echo")]) else { return }
        #expect(await connected(client), "the connected line")
        client.send(#"{"b":1,"a":[true,null]}"#)
        client.send("not json")
        #expect(try await client.exit() == 0, "\(client.stderr.events)")
        #expect(
            client.stdout.events == [
                "{", #"  "a" : ["#, "    true,", "    null", "  ],", #"  "b" : 1"#, "}", "not json",
            ])
        #expect(ownLines(client) == ["kstlib-ws: connected to \(server.url("/echo"))", "kstlib-ws: closed (1000)"])
    }

    @Test func theEndOfInputClosesWith1000() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        guard let client = try start([server.url("/echo")]) else { return }
        #expect(await connected(client), "the connected line")
        client.closeInput()
        #expect(try await client.exit() == 0, "\(client.stderr.events)")
        #expect(server.receivedCloseCodes == [1000])
    }

    @Test func subscriptionsAreSentAgainAfterAReconnectThatIsShown() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let arguments = [
            "--listen", "--count", "2", "--subscribe", "BTCUSDT", "--reconnect-strategy", "fixed-delay",
            "--reconnect-delay", "0.05", server.url("/echo"),
        ]
        guard let client = try start(arguments) else { return }
        #expect(await client.stdout.wait(count: 1, timeout: .seconds(20)), "the first subscription's echo")
        server.dropAllConnections()
        #expect(try await client.exit() == 0, "\(client.stderr.events)")
        let subscription = #"{"type":"subscribe","channel":"BTCUSDT"}"#
        #expect(client.stdout.events == [subscription, subscription])
        #expect(
            ownLines(client) == [
                "kstlib-ws: connected to \(server.url("/echo"))",
                "kstlib-ws: disconnected (networkError), reconnecting",
                "kstlib-ws: reconnected", "kstlib-ws: closed (1000)",
            ])
    }

    @Test func sigtermClosesWith1001() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let arguments = [
            "--listen", "--header", "Authorization: Bearer 1", "--subprotocol", "chat", server.url("/echo"),
        ]
        guard let client = try start(arguments) else { return }
        #expect(await connected(client), "the connected line")
        client.signal(SIGTERM)
        #expect(try await client.exit() == 0, "\(client.stderr.events)")
        #expect(server.receivedCloseCodes == [1001])
        #expect(ownLines(client).last == "kstlib-ws: closed (1001 interrupted)")
    }

    @Test func aRefusedConnectionExitsWithTheErrorAndItsFacts() async throws {
        let url = "ws://127.0.0.1:\(refusedPort())/feed"
        guard let client = try start(["--no-reconnect", "--listen", url]) else { return }
        #expect(try await client.exit() == 1)
        let line = try #require(ownLines(client).first)
        #expect(
            line.hasPrefix(
                "kstlib-ws: error: WebSocketConnectionError: could not connect to \(url) (url=\(url), attempts=1"),
            "\(line)")
    }

    @Test func aMalformedHeaderIsAUsageError() async throws {
        guard let client = try start(["--header", "NoColon", "ws://127.0.0.1:9/"]) else { return }
        #expect(try await client.exit() == 64, "EX_USAGE")
        #expect(ownLines(client).first == "Error: --header 'NoColon' is not 'Name: value' with a valid header name")
    }
}

/// Waits (20 s at most) for the client's "connected" line.
func connected(_ client: ChildProcess) async -> Bool {
    let stderr = client.stderr
    return await waitUntil(timeout: .seconds(20)) { stderr.events.contains { $0.hasPrefix("kstlib-ws: connected") } }
}

/// What the client itself wrote to stderr: its own lines and argument errors, not the library's
/// log lines (such as the one-time notice on a libwebsockets that answers pings one at a time).
func ownLines(_ client: ChildProcess) -> [String] {
    client.stderr.events.filter { $0.hasPrefix("kstlib-ws:") || $0.hasPrefix("Error:") }
}
