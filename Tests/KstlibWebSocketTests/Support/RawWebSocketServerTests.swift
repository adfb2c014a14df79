// RawWebSocketServerTests.swift — tests of the test-support server itself.
//
// Why: every failure-path test of the client trusts RawWebSocketServer/RawPeer to put exactly the
// intended bytes on the wire and to read the client's bytes faithfully. These tests check that with
// a plain raw-socket client that has its own, independent framing code (so a bug in RawPeer's codec
// cannot be mirrored by the code that checks it). Scripts run on server threads, outside Swift
// Testing's task context, so they report what they saw with `peer.record` and the test asserts.

// CLibWebSockets is imported for the socket declarations too: libwebsockets.h includes the system
// socket headers, and which Clang module then owns a name such as SHUT_RDWR can vary between builds.
import CLibWebSockets
import Foundation
import Glibc
import Testing

// MARK: - A plain client

private enum ClientError: Error, Equatable {
    case timeout, eof, reset
    case io(Int32)
    case malformed(String)
}

/// A server frame as decoded by the client: `header` is the raw header bytes (length field included)
/// so tests can check the exact encoding.
private struct ClientFrame {
    var header: [UInt8]
    var maskKey: [UInt8]?
    var payload: [UInt8]
    var fin: Bool { header[0] & 0x80 != 0 }
    var opcode: UInt8 { header[0] & 0x0F }
    var masked: Bool { header[1] & 0x80 != 0 }
}

/// Minimal blocking TCP client. Used by one test at a time, never shared.
private final class PlainClient {
    enum Received: Equatable {
        case bytes([UInt8])
        case eof, reset, timeout
    }

    private var fd: Int32
    private var buffer: [UInt8] = []

    init(host: String = "127.0.0.1", port: Int) throws {
        let v6 = host.contains(":")
        fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError.io(errno) }
        var result: Int32
        if v6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port)).bigEndian
            _ = inet_pton(AF_INET6, host, &address.sin6_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port)).bigEndian
            _ = inet_pton(AF_INET, host, &address.sin_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        if result != 0 {
            let code = errno
            rawSysClose(fd)
            throw ClientError.io(code)
        }
    }

    deinit { close() }

    func close() {
        if fd >= 0 { rawSysClose(fd) }
        fd = -1
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                rawSysSend(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw ClientError.io(errno)
            }
            offset += n
        }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// One poll + recv, ignoring the internal buffer.
    func receiveOnce(timeout: Duration) -> Received {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ms = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let ready = poll(&entry, 1, ms)
        if ready == 0 { return .timeout }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 { return .bytes(Array(chunk[0..<n])) }
        if n == 0 { return .eof }
        return errno == ECONNRESET ? .reset : .timeout
    }

    private func fill(timeout: Duration) throws {
        switch receiveOnce(timeout: timeout) {
        case .bytes(let bytes): buffer += bytes
        case .eof: throw ClientError.eof
        case .reset: throw ClientError.reset
        case .timeout: throw ClientError.timeout
        }
    }

    func readExactly(_ count: Int, timeout: Duration = .seconds(5)) throws -> [UInt8] {
        while buffer.count < count { try fill(timeout: timeout) }
        defer { buffer.removeFirst(count) }
        return Array(buffer[0..<count])
    }

    /// Reads an HTTP response head; returns the status line and the headers (names lower-cased).
    func readHead(timeout: Duration = .seconds(5)) throws -> (status: String, headers: [String: String]) {
        while true {
            if let end = firstCRLFCRLF() {
                let text = String(decoding: buffer[0..<end], as: UTF8.self)
                buffer.removeFirst(end + 4)
                var lines = text.components(separatedBy: "\r\n")
                let status = lines.removeFirst()
                var headers: [String: String] = [:]
                for line in lines {
                    guard let colon = line.firstIndex(of: ":") else { throw ClientError.malformed(line) }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                        in: .whitespaces)
                }
                return (status, headers)
            }
            try fill(timeout: timeout)
        }
    }

    private func firstCRLFCRLF() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4)
        where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i
        }
        return nil
    }

    /// Everything until the server closes (buffered bytes first).
    func readToEOF(timeout: Duration = .seconds(5)) throws -> [UInt8] {
        while true {
            do { try fill(timeout: timeout) } catch ClientError.eof { break }
        }
        defer { buffer.removeAll() }
        return buffer
    }

    /// Decodes one frame with the client's own parser.
    func readFrame(timeout: Duration = .seconds(5)) throws -> ClientFrame {
        var header = try readExactly(2, timeout: timeout)
        var length = UInt64(header[1] & 0x7F)
        if length == 126 {
            let ext = try readExactly(2, timeout: timeout)
            header += ext
            length = UInt64(ext[0]) * 256 + UInt64(ext[1])
        } else if length == 127 {
            let ext = try readExactly(8, timeout: timeout)
            header += ext
            length = 0
            for byte in ext { length = length * 256 + UInt64(byte) }
        }
        var key: [UInt8]?
        if header[1] & 0x80 != 0 { key = try readExactly(4, timeout: timeout) }
        var payload = try readExactly(Int(length), timeout: timeout)
        if let key { payload = payload.enumerated().map { $0.element ^ key[$0.offset % 4] } }
        return ClientFrame(header: header, maskKey: key, payload: payload)
    }

    /// Client-side frame encoder, written independently of RawPeer.frameBytes.
    static func maskedFrame(opcode: UInt8, payload: [UInt8], fin: Bool = true, key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D])
        -> [UInt8]
    {
        var bytes: [UInt8] = [(fin ? 0b1000_0000 : 0) + opcode]
        let n = payload.count
        if n < 126 {
            bytes.append(0b1000_0000 + UInt8(n))
        } else if n < 65536 {
            bytes += [0b1000_0000 + 126, UInt8(n / 256), UInt8(n % 256)]
        } else {
            bytes.append(0b1000_0000 + 127)
            bytes += (0..<8).reversed().map { UInt8((UInt64(n) >> (8 * UInt64($0))) & 0xFF) }
        }
        bytes += key
        for (i, byte) in payload.enumerated() { bytes.append(byte ^ key[i % 4]) }
        return bytes
    }

    static func upgradeRequest(
        path: String = "/", port: Int, key: String = "dGhlIHNhbXBsZSBub25jZQ==", extra: [String] = []
    ) -> String {
        ([
            "GET \(path) HTTP/1.1",
            "Host: 127.0.0.1:\(port)",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: \(key)",
            "Sec-WebSocket-Version: 13",
        ] + extra).joined(separator: "\r\n") + "\r\n\r\n"
    }
}

private func ipv6LoopbackAvailable() -> Bool {
    (try? RawWebSocketServer(host: "::1") { _ in }) != nil
}

// MARK: - Tests

@Suite("RawWebSocketServer (test support)", .timeLimit(.minutes(3)))
struct RawWebSocketServerTests {
    @Test("Sec-WebSocket-Accept matches the RFC 6455 §1.3 example")
    func acceptKeyExample() {
        #expect(RawPeer.acceptKey(for: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        // The RFC's GUID is ...-47DA-...; both vectors re-checked with `openssl sha1 -binary | base64`.
        #expect(RawPeer.acceptKey(for: "x3JJHMbDL1EzLkh9GBhXDw==") == "HSmrc0sMlYUkAGmm5OPpG2HaGWk=")
    }

    @Test("url() formats host, port and path")
    func urlFormatting() throws {
        let server = try RawWebSocketServer { _ in }
        defer { server.stop() }
        #expect(server.port > 0 && server.port < 65536)
        #expect(server.url() == "ws://127.0.0.1:\(server.port)/")
        #expect(server.url("/chat?x=1") == "ws://127.0.0.1:\(server.port)/chat?x=1")
        #expect(server.url("chat") == "ws://127.0.0.1:\(server.port)/chat")
    }

    @Test("frame headers use the 7/16/64-bit length encodings and can lie")
    func frameHeaderEncoding() {
        #expect(RawPeer.frameHeader(opcode: 1, length: 0) == [0x81, 0])
        #expect(RawPeer.frameHeader(opcode: 1, length: 125) == [0x81, 125])
        #expect(RawPeer.frameHeader(opcode: 2, length: 126) == [0x82, 126, 0x00, 0x7E])
        #expect(RawPeer.frameHeader(opcode: 2, length: 65535) == [0x82, 126, 0xFF, 0xFF])
        #expect(RawPeer.frameHeader(opcode: 2, length: 65536) == [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0])
        #expect(RawPeer.frameHeader(opcode: 2, length: 1 << 63 | 5) == [0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 5])
        #expect(RawPeer.frameHeader(opcode: 0, fin: false, rsv: 4, length: 3) == [0x40, 3])
        #expect(RawPeer.frameHeader(opcode: 9, rsv: 7, length: 1) == [0xF9, 1])
        #expect(RawPeer.frameHeader(opcode: 1, length: 5, encoding: .bits16) == [0x81, 126, 0, 5])
        #expect(RawPeer.frameHeader(opcode: 1, length: 5, encoding: .bits64) == [0x81, 127, 0, 0, 0, 0, 0, 0, 0, 5])
        #expect(RawPeer.frameHeader(opcode: 1, length: 2, maskKey: [1, 2, 3, 4]) == [0x81, 0x82, 1, 2, 3, 4])

        let masked = RawPeer.frameBytes(
            opcode: 1, payload: [0x10, 0x20, 0x30, 0x40, 0x50], mask: true, maskKey: [1, 2, 3, 4])
        #expect(masked == [0x81, 0x85, 1, 2, 3, 4, 0x11, 0x22, 0x33, 0x44, 0x51])
        // The client's independent encoder agrees with RawPeer's on a masked frame.
        #expect(
            masked == PlainClient.maskedFrame(opcode: 1, payload: [0x10, 0x20, 0x30, 0x40, 0x50], key: [1, 2, 3, 4]))
        let lying = RawPeer.frameBytes(opcode: 2, payload: [9, 9], declaredLength: 200)
        #expect(lying == [0x82, 126, 0, 200, 9, 9])
    }

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
