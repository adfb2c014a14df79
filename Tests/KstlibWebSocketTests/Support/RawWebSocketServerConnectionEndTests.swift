// RawWebSocketServer (test support): how a connection ends: EOF, read timeouts, half-close, reset.
import Testing

@Suite("RawWebSocketServer (test support): connection ends", .timeLimit(.minutes(3)))
struct RawWebSocketServerConnectionEndTests {
    @Test("waitForEOF: false while the client is open, true once it closes")
    func eofDetection() throws {
        let server = try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            peer.record("early=\(peer.waitForEOF(timeout: .milliseconds(200)))")
            try peer.sendRaw([0x42]) // tells the client it may close now
            peer.record("late=\(peer.waitForEOF(timeout: .seconds(5)))")
        }
        defer { server.stop() }
        let client = try PlainClient(port: server.port)
        try client.send(PlainClient.upgradeRequest(port: server.port))
        #expect(try client.readExactly(1) == [0x42])
        client.close()
        #expect(server.waitForScripts(count: 1, timeout: .seconds(5)))
        #expect(server.scriptRecords == ["early=false", "late=true"])
    }

    @Test("reads time out on a silent client")
    func readTimeout() throws {
        let server = try RawWebSocketServer { peer in
            let start = ContinuousClock.now
            do {
                _ = try peer.readRequest(timeout: .milliseconds(150))
                peer.record("unexpected request")
            } catch RawPeerError.timeout {
                peer.record("timeout after >= 150ms: \(ContinuousClock.now - start >= .milliseconds(150))")
            }
        }
        defer { server.stop() }
        let client = try PlainClient(port: server.port)
        try client.send("GET / HTTP/1.1\r\n") // an incomplete head
        #expect(server.waitForScripts(count: 1, timeout: .seconds(5)))
        #expect(server.scriptRecords == ["timeout after >= 150ms: true"])
        _ = client
    }

    @Test("shutdownWrite half-closes: the client sees EOF and can still send")
    func halfClose() throws {
        let server = try RawWebSocketServer { peer in
            try peer.acceptUpgrade(try peer.readRequest())
            peer.shutdownWrite()
            guard let frame = try peer.readFrame() else { throw RawPeerError.eof }
            peer.record(frame.text ?? "-")
        }
        defer { server.stop() }
        let client = try PlainClient(port: server.port)
        try client.send(PlainClient.upgradeRequest(port: server.port))
        #expect(try client.readHead().status == "HTTP/1.1 101 Switching Protocols")
        #expect(client.receiveOnce(timeout: .seconds(5)) == .eof)
        try client.send(PlainClient.maskedFrame(opcode: 1, payload: Array("after-fin".utf8)))
        #expect(server.waitForScripts(count: 1, timeout: .seconds(5)))
        #expect(server.scriptRecords == ["after-fin"])
    }

    @Test("reset() makes the client see ECONNRESET, close() a plain EOF")
    func resetVersusClose() throws {
        let server = try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            if peer.index == 1 { peer.reset() } else { peer.close() }
        }
        defer { server.stop() }
        let first = try PlainClient(port: server.port)
        try first.send(PlainClient.upgradeRequest(port: server.port))
        #expect(first.receiveOnce(timeout: .seconds(5)) == .reset)
        #expect(server.waitForScripts(count: 1, timeout: .seconds(5)))

        let second = try PlainClient(port: server.port)
        // Unread client bytes at close() must not turn the FIN into an RST.
        try second.send(PlainClient.upgradeRequest(port: server.port) + "trailing bytes nobody reads")
        #expect(second.receiveOnce(timeout: .seconds(5)) == .eof)
        #expect(server.waitForScripts(count: 2, timeout: .seconds(5)))
        // close() has returned: an RST sent after the FIN would now be reported instead of a second EOF.
        #expect(second.receiveOnce(timeout: .milliseconds(100)) == .eof)
        #expect(server.scriptErrors == [])
    }
}
