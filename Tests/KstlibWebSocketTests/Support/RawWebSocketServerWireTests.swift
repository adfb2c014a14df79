// RawWebSocketServer (test support): handshake, frames and HTTP answers on the wire both ways, read
// and written by the independent PlainClient.
import Testing

@Suite("RawWebSocketServer (test support): bytes on the wire", .timeLimit(.minutes(3)))
struct RawWebSocketServerWireTests {
    @Test("handshake, masked client frame, unmasked echo, close exchange, EOF")
    func handshakeAndEcho() throws {
        let server = try RawWebSocketServer { peer in
            let request = try peer.readRequest()
            peer.record("request \(request.method) \(request.path) \(request.version)")
            peer.record("upgrade=\(request[header: "UPGRADE"] ?? "-") connection=\(request.tokens("connection"))")
            peer.record("dup=\(request.headers["x-dup"] ?? "-")")
            try peer.acceptUpgrade(request, extraHeaders: ["X-Test: yes"], subprotocol: "chat")
            guard let frame = try peer.readFrame() else { throw RawPeerError.eof }
            peer.record("frame masked=\(frame.masked) fin=\(frame.fin) op=\(frame.opcode) text=\(frame.text ?? "-")")
            try peer.sendText("echo:" + (frame.text ?? ""))
            guard let close = try peer.readUntilClose() else { throw RawPeerError.eof }
            peer.record("close \(close.closeCode.map(String.init) ?? "-") \(close.closeReason ?? "-")")
            try peer.sendClose(code: 1000, reason: "bye")
            peer.close()
        }
        defer { server.stop() }

        let client = try PlainClient(port: server.port)
        try client.send(
            PlainClient.upgradeRequest(
                path: "/chat", port: server.port,
                extra: ["Sec-WebSocket-Protocol: chat, superchat", "X-Dup: a", "x-dup: b"]))
        let head = try client.readHead()
        #expect(head.status == "HTTP/1.1 101 Switching Protocols")
        #expect(head.headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(head.headers["upgrade"]?.lowercased() == "websocket")
        #expect(head.headers["connection"]?.lowercased() == "upgrade")
        #expect(head.headers["sec-websocket-protocol"] == "chat")
        #expect(head.headers["x-test"] == "yes")

        try client.send(PlainClient.maskedFrame(opcode: 1, payload: Array("hello".utf8)))
        let echo = try client.readFrame()
        #expect(echo.header == [0x81, 10])
        #expect(!echo.masked)
        #expect(echo.payload == Array("echo:hello".utf8))

        try client.send(PlainClient.maskedFrame(opcode: 8, payload: [0x03, 0xE8] + Array("done".utf8)))
        let close = try client.readFrame()
        #expect(close.opcode == 8)
        #expect(close.payload == [0x03, 0xE8] + Array("bye".utf8))
        #expect(client.receiveOnce(timeout: .seconds(5)) == .eof)

        #expect(server.waitForScripts(count: 1, timeout: .seconds(5)))
        #expect(server.scriptErrors == [])
        #expect(
            server.scriptRecords == [
                "request GET /chat HTTP/1.1",
                "upgrade=websocket connection=[\"upgrade\"]",
                "dup=a, b",
                "frame masked=true fin=true op=1 text=hello",
                "close 1000 done",
            ])
        #expect(server.acceptedCount == 1)
    }

    @Test("bytes sent with the request head are kept; 16- and 64-bit client lengths are read")
    func pipelinedFramesAndLongLengths() throws {
        let medium = (0..<300).map { UInt8($0 % 251) }
        let large = (0..<70_000).map { UInt8($0 % 253) }
        let server = try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            for _ in 0..<3 {
                guard let frame = try peer.readFrame() else { throw RawPeerError.eof }
                peer.record(
                    "op=\(frame.opcode) masked=\(frame.masked) count=\(frame.payload.count) sum=\(frame.payload.reduce(0) { $0 + Int($1) })"
                )
            }
            peer.record("next=\(String(describing: try peer.readFrame(timeout: .seconds(5))))")
        }
        defer { server.stop() }

        let client = try PlainClient(port: server.port)
        var bytes = Array(PlainClient.upgradeRequest(port: server.port).utf8)
        bytes += PlainClient.maskedFrame(opcode: 2, payload: [1, 2, 3])
        bytes += PlainClient.maskedFrame(opcode: 2, payload: medium)
        bytes += PlainClient.maskedFrame(opcode: 2, payload: large)
        try client.send(bytes) // one write: the frames arrive together with the head
        client.close() // then EOF between frames: readFrame must return nil

        #expect(server.waitForScripts(count: 1, timeout: .seconds(5)))
        #expect(server.scriptErrors == [])
        #expect(
            server.scriptRecords == [
                "op=2 masked=true count=3 sum=6",
                "op=2 masked=true count=300 sum=\(medium.reduce(0) { $0 + Int($1) })",
                "op=2 masked=true count=70000 sum=\(large.reduce(0) { $0 + Int($1) })",
                "next=nil",
            ])
    }

    @Test("server frames of every length class reach the client intact, masked or not")
    func serverLengthEncodings() throws {
        let sizes = [0, 125, 126, 65535, 65536]
        let server = try RawWebSocketServer { peer in
            try peer.acceptUpgrade(try peer.readRequest())
            for size in sizes { try peer.sendBinary((0..<size).map { UInt8($0 % 256) }) }
            try peer.sendFrame(opcode: RawOpcode.text, payload: Array("masked!".utf8), mask: true)
            try peer.sendPing([7])
            try peer.sendClose(code: nil)
        }
        defer { server.stop() }

        let client = try PlainClient(port: server.port)
        try client.send(PlainClient.upgradeRequest(port: server.port))
        #expect(try client.readHead().status == "HTTP/1.1 101 Switching Protocols")
        let markers: [UInt8] = [0, 125, 126, 126, 127]
        for (size, marker) in zip(sizes, markers) {
            let frame = try client.readFrame()
            #expect(frame.header[0] == 0x82)
            #expect(frame.header[1] == marker)
            #expect(frame.payload == (0..<size).map { UInt8($0 % 256) })
        }
        let masked = try client.readFrame()
        #expect(masked.masked && masked.maskKey?.count == 4)
        #expect(masked.payload == Array("masked!".utf8))
        let ping = try client.readFrame()
        #expect(ping.header == [0x89, 1] && ping.payload == [7])
        let close = try client.readFrame()
        #expect(close.header == [0x88, 0])
        #expect(server.waitForScripts(count: 1, timeout: .seconds(5)))
        #expect(server.scriptErrors == [])
    }

    @Test("sendFrameHeader writes a lying 64-bit length with the top bit set")
    func lyingHeader() throws {
        let server = try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            try peer.sendFrameHeader(opcode: RawOpcode.binary, length: 1 << 63 | 5)
            try peer.sendRaw([1, 2, 3])
        }
        defer { server.stop() }
        let client = try PlainClient(port: server.port)
        try client.send(PlainClient.upgradeRequest(port: server.port))
        #expect(try client.readExactly(13) == [0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3])
        #expect(server.waitForScripts(count: 1, timeout: .seconds(5)))
        #expect(server.scriptErrors == [])
    }

    @Test("readFrame rejects a 64-bit length with the top bit set")
    func readFrameRejectsTopBit() throws {
        let server = try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            _ = try peer.readFrame()
        }
        defer { server.stop() }
        let client = try PlainClient(port: server.port)
        try client.send(PlainClient.upgradeRequest(port: server.port))
        try client.send([0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0])
        #expect(server.waitForScripts(count: 1, timeout: .seconds(5)))
        #expect(
            server.scriptErrors == [
                String(describing: RawPeerError.badFrame("64-bit payload length with the most significant bit set"))
            ])
    }

    @Test("a non-101 answer arrives verbatim, with Content-Length, then EOF")
    func nonUpgradeAnswer() throws {
        let server = try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            try peer.sendHTTP(status: 403, reason: "Forbidden", headers: ["X-Why: test"], body: "go away")
            peer.close()
        }
        defer { server.stop() }
        let client = try PlainClient(port: server.port)
        try client.send(PlainClient.upgradeRequest(port: server.port))
        let text = String(decoding: try client.readToEOF(), as: UTF8.self)
        #expect(text == "HTTP/1.1 403 Forbidden\r\nX-Why: test\r\nContent-Length: 7\r\n\r\ngo away")
    }

    @Test("fragments are reassembled around an interleaved ping; nothing is answered")
    func fragmentedMessage() throws {
        let server = try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            while let message = try peer.readMessage() {
                peer.record("\(message.opcode):\(String(decoding: message.payload, as: UTF8.self))")
                if message.opcode == RawOpcode.close { break }
            }
        }
        defer { server.stop() }
        let client = try PlainClient(port: server.port)
        try client.send(PlainClient.upgradeRequest(port: server.port))
        try client.send(PlainClient.maskedFrame(opcode: 1, payload: Array("hel".utf8), fin: false))
        try client.send(PlainClient.maskedFrame(opcode: 9, payload: Array("p".utf8)))
        try client.send(PlainClient.maskedFrame(opcode: 0, payload: Array("l".utf8), fin: false))
        try client.send(PlainClient.maskedFrame(opcode: 0, payload: Array("o".utf8)))
        try client.send(PlainClient.maskedFrame(opcode: 2, payload: Array("bin".utf8)))
        try client.send(PlainClient.maskedFrame(opcode: 8, payload: []))
        #expect(server.waitForScripts(count: 1, timeout: .seconds(5)))
        #expect(server.scriptErrors == [])
        #expect(server.scriptRecords == ["9:p", "1:hello", "2:bin", "8:"])
        // The server answered neither the ping nor the close.
        #expect(client.receiveOnce(timeout: .milliseconds(200)) == .timeout)
    }
}
