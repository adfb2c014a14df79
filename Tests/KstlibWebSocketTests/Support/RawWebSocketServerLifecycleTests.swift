// RawWebSocketServer (test support): the server itself: its URL, per-connection reports, stop(), IPv6.
// CLibWebSockets is imported for the socket declarations too, as in PlainClient.swift.
import CLibWebSockets
import Glibc
import Testing

private func ipv6LoopbackAvailable() -> Bool {
    (try? RawWebSocketServer(host: "::1") { _ in }) != nil
}

@Suite("RawWebSocketServer (test support): the server", .timeLimit(.minutes(3)))
struct RawWebSocketServerLifecycleTests {
    @Test("url() formats host, port and path")
    func urlFormatting() throws {
        let server = try RawWebSocketServer { _ in }
        defer { server.stop() }
        #expect(server.port > 0 && server.port < 65536)
        #expect(server.url() == "ws://127.0.0.1:\(server.port)/")
        #expect(server.url("/chat?x=1") == "ws://127.0.0.1:\(server.port)/chat?x=1")
        #expect(server.url("chat") == "ws://127.0.0.1:\(server.port)/chat")
    }

    @Test("script errors, records and connection indices are reported per connection")
    func errorsAndIndices() throws {
        let server = try RawWebSocketServer { peer in
            if peer.index == 1 { throw RawPeerError.badRequest("first") }
            peer.record("index=\(peer.index) remote=\(peer.remoteAddress.hasPrefix("127.0.0.1:"))")
        }
        defer { server.stop() }
        let first = try PlainClient(port: server.port)
        #expect(server.waitForScripts(count: 1, timeout: .seconds(5)))
        let second = try PlainClient(port: server.port)
        #expect(server.waitForScripts(count: 2, timeout: .seconds(5)))
        #expect(server.acceptedCount == 2)
        #expect(server.finishedCount == 2)
        #expect(server.scriptErrors == ["badRequest(first)"])
        #expect(server.scriptRecords == ["index=2 remote=true"])
        #expect(!server.waitForScripts(count: 3, timeout: .milliseconds(50)))
        _ = (first, second)
    }

    @Test("stop() wakes a blocked script, closes the connection, is idempotent, and frees the port")
    func stopWakesScripts() throws {
        let server = try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            try peer.sendRaw([0x01]) // "I am about to block"
            let frame = try peer.readFrame(timeout: .seconds(30))
            peer.record("frame=\(frame == nil ? "nil" : "some")")
        }
        let port = server.port
        let client = try PlainClient(port: port)
        try client.send(PlainClient.upgradeRequest(port: port))
        #expect(try client.readExactly(1) == [0x01])

        let start = ContinuousClock.now
        server.stop()
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(server.finishedCount == 1)
        #expect(server.scriptRecords == ["frame=nil"])
        #expect(client.receiveOnce(timeout: .seconds(5)) == .eof)
        server.stop()
        #expect(throws: ClientError.io(ECONNREFUSED)) { try PlainClient(port: port) }
    }

    @Test("listens on ::1 too", .enabled(if: ipv6LoopbackAvailable()))
    func ipv6() throws {
        let server = try RawWebSocketServer(host: "::1") { peer in
            try peer.acceptUpgrade(try peer.readRequest())
            peer.record(peer.remoteAddress.hasPrefix("::1:") ? "v6" : peer.remoteAddress)
        }
        defer { server.stop() }
        #expect(server.url("/x") == "ws://[::1]:\(server.port)/x")
        let client = try PlainClient(host: "::1", port: server.port)
        try client.send(PlainClient.upgradeRequest(port: server.port))
        #expect(try client.readHead().status == "HTTP/1.1 101 Switching Protocols")
        #expect(server.waitForScripts(count: 1, timeout: .seconds(5)))
        #expect(server.scriptRecords == ["v6"])
    }
}
