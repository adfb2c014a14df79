// PlainClient: a plain raw-socket WebSocket client, for the tests of the test-support server itself.
//
// Why: every failure-path test of the client trusts RawWebSocketServer/RawPeer to put exactly the
// intended bytes on the wire and to read the client's bytes faithfully. The RawWebSocketServer…Tests
// suites check that with this client, whose framing code is its own (so a bug in RawPeer's codec
// cannot be mirrored by the code that checks it). Scripts run on server threads, outside Swift
// Testing's task context, so they report what they saw with `peer.record` and the test asserts.

// CLibWebSockets is imported for the socket declarations too: libwebsockets.h includes the system
// socket headers, and which Clang module then owns a name such as SHUT_RDWR can vary between builds.
import CLibWebSockets
import Foundation
import Glibc

enum ClientError: Error, Equatable {
    case timeout, eof, reset
    case io(Int32)
    case malformed(String)
}

/// A server frame as decoded by the client: `header` is the raw header bytes (length field included)
/// so tests can check the exact encoding.
struct ClientFrame {
    var header: [UInt8]
    var maskKey: [UInt8]?
    var payload: [UInt8]
    var fin: Bool { header[0] & 0x80 != 0 }
    var opcode: UInt8 { header[0] & 0x0F }
    var masked: Bool { header[1] & 0x80 != 0 }
}

/// Minimal blocking TCP client. Used by one test at a time, never shared.
final class PlainClient {
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
