// RawPeer.swift — one accepted TCP connection of `RawWebSocketServer`, driven byte by byte by a test script.
//
// Why this exists: to provoke real client failures, a test must control exactly which bytes the
// server writes (malformed frames, lying lengths, masked server frames, non-101 answers, silence,
// FIN, RST). A real WebSocket server refuses to produce any of those, so this one is built on plain
// sockets and only does what the script asks; it never answers a ping or a close on its own.
// All I/O is blocking and bounded by poll(2) deadlines; nothing here ever sleeps. Linux (Glibc) only.

import CLibWebSockets
import Foundation
import Glibc
import Synchronization

// MARK: - System call wrappers

// Why these exist: `Glibc.close` and friends cannot be written module-qualified here, because
// libwebsockets.h includes the same system headers and the declarations may then belong to the
// CLibWebSockets Clang module instead (build-order dependent: "module 'Glibc' has no member named
// ..."). Unqualified calls at file scope always resolve, and these wrappers let types with methods
// named close/shutdown/send reach the system functions.

/// close(2), result ignored (nothing useful can be done about a failed close of a test socket).
func rawSysClose(_ fd: Int32) { _ = close(fd) }

/// shutdown(2) with SHUT_RD/SHUT_WR/SHUT_RDWR, result ignored (ENOTCONN after a reset is expected).
func rawSysShutdown(_ fd: Int32, _ how: Int32) { _ = shutdown(fd, how) }

/// send(2).
func rawSysSend(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int, _ flags: Int32) -> Int {
    send(fd, bytes, count, flags)
}

// MARK: - Errors

/// What a `RawPeer` operation can fail with. Equatable so tests can `#expect(throws: RawPeerError.timeout)`.
enum RawPeerError: Error, Equatable, CustomStringConvertible {
    /// The deadline passed before the operation completed (nothing was consumed from the stream).
    case timeout
    /// The client closed its side (or the socket was closed) in the middle of the requested unit.
    case eof
    /// A socket call failed with this errno.
    case io(Int32)
    /// The bytes on the wire are not a frame this reader can take (e.g. 64-bit length with the top bit set).
    case badFrame(String)
    /// The bytes on the wire are not an HTTP/1.1 request head (or it lacks what the call needs).
    case badRequest(String)

    var description: String {
        switch self {
        case .timeout: "timeout"
        case .eof: "eof"
        case .io(let code): "io(\(code): \(String(cString: strerror(code))))"
        case .badFrame(let why): "badFrame(\(why))"
        case .badRequest(let why): "badRequest(\(why))"
        }
    }
}

// MARK: - Value types

/// RFC 6455 opcodes, as plain bytes so tests can also send the reserved ones (0x3-0x7, 0xB-0xF).
enum RawOpcode {
    static let continuation: UInt8 = 0x0
    static let text: UInt8 = 0x1
    static let binary: UInt8 = 0x2
    static let close: UInt8 = 0x8
    static let ping: UInt8 = 0x9
    static let pong: UInt8 = 0xA
}

/// How the payload length is written in a frame header. `.minimal` is what RFC 6455 §5.2 requires;
/// the others exist so a test can send a non-minimal (or, with a too-large length, a truncated) encoding.
enum RawLengthEncoding: Sendable {
    case minimal
    /// Length in the 7-bit field only (truncated to 7 bits: the caller owns the lie).
    case bits7
    /// Marker 126 plus a 16-bit length (truncated to 16 bits).
    case bits16
    /// Marker 127 plus a 64-bit length, written verbatim (even with the top bit set).
    case bits64
}

/// The request head a client sent, as parsed by `RawPeer.readRequest`.
struct RawHTTPRequest: Sendable, Equatable {
    /// The first line, without CRLF, e.g. "GET /chat HTTP/1.1".
    let requestLine: String
    let method: String
    /// The request-target exactly as sent (path plus any query).
    let path: String
    let version: String
    /// Header values by lower-cased name; repeated headers are joined with ", " (RFC 9110 §5.3).
    let headers: [String: String]
    /// The header lines as received, in order, so tests can check duplicates and spelling.
    let headerLines: [String]

    /// Case-insensitive header lookup.
    subscript(header name: String) -> String? { headers[name.lowercased()] }

    /// The comma-separated tokens of a header, trimmed and lower-cased ("keep-alive, Upgrade" -> ["keep-alive", "upgrade"]).
    func tokens(_ name: String) -> [String] {
        guard let value = self[header: name] else { return [] }
        return value.split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            .filter { !$0.isEmpty }
    }

    /// `Sec-WebSocket-Key`, if the client sent one.
    var webSocketKey: String? { headers["sec-websocket-key"] }
}

/// One frame as read off the wire, already unmasked.
struct RawFrame: Sendable, Equatable {
    var fin: Bool
    /// The three RSV bits, as a value 0...7 (RSV1 is 4).
    var rsv: UInt8
    var opcode: UInt8
    /// Whether the sender set the MASK bit. RFC 6455 §5.1: a client MUST mask every frame it sends.
    var masked: Bool
    /// The masking key when `masked`.
    var maskKey: [UInt8]?
    /// The payload, unmasked.
    var payload: [UInt8]

    /// Control frames have the high opcode bit set (close, ping, pong and reserved 0xB-0xF).
    var isControl: Bool { opcode & 0x08 != 0 }

    /// The status code of a close frame carrying at least two payload bytes.
    var closeCode: UInt16? {
        guard opcode == RawOpcode.close, payload.count >= 2 else { return nil }
        return UInt16(payload[0]) << 8 | UInt16(payload[1])
    }

    /// The reason of a close frame carrying a code; nil when absent-code or not valid UTF-8
    /// (RFC 6455 §5.5.1 requires UTF-8, so a conformance test can tell the two apart via `payload`).
    var closeReason: String? {
        guard closeCode != nil else { return nil }
        return String(validating: payload[2...], as: UTF8.self)
    }

    /// The payload as UTF-8 text, nil if it is not valid UTF-8.
    var text: String? { String(validating: payload, as: UTF8.self) }
}

// MARK: - RawPeer

/// One accepted connection, handed to a server script.
///
/// Why `@unchecked Sendable` is safe: a `RawPeer` is created by the accept thread and then used by
/// exactly one thread, the script thread of its connection; the read buffer and the fragment state
/// are only touched there. The only cross-thread operations are `RawWebSocketServer.stop()` calling
/// `abort()` (shutdown, which wakes a blocked script) and, after that script has finished, the final
/// close; both go through `socket`, a `Mutex`, so a descriptor is never closed while another thread
/// could still use its number.
final class RawPeer: @unchecked Sendable {
    /// 1-based number of this connection on its server (lets a script behave differently on a reconnect).
    let index: Int
    /// Numeric address of the client, e.g. "127.0.0.1:51234".
    let remoteAddress: String

    /// Largest payload `readFrame` accepts before failing with `.badFrame` (protects the test process).
    var maxFramePayload: Int = 64 << 20

    /// The descriptor, or -1 once closed. The Mutex orders close against `abort()` from `stop()`.
    private let socket: Mutex<Int32>
    /// Bytes received but not yet consumed (e.g. frames that came in the same segment as the request head).
    private var inbox: [UInt8] = []
    /// A fragmented data message being reassembled by `readMessage`, kept across calls that return a control frame.
    private var partial: (opcode: UInt8, payload: [UInt8])?
    private let recorder: @Sendable (String) -> Void

    static let webSocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    init(fd: Int32, index: Int, remoteAddress: String, recorder: @escaping @Sendable (String) -> Void) {
        self.socket = Mutex(fd)
        self.index = index
        self.remoteAddress = remoteAddress
        self.recorder = recorder
    }

    deinit {
        socket.withLock { fd in
            if fd >= 0 {
                rawSysClose(fd)
                fd = -1
            }
        }
    }

    /// Adds a note to the server's `scriptRecords`, so a test can see what the script observed.
    func record(_ note: String) { recorder(note) }

    /// Whether this side has been closed (`close()`, `reset()` or the server's stop).
    var isClosed: Bool { socket.withLock { $0 < 0 } }

    // MARK: HTTP

    /// Reads the HTTP request head (up to and including the blank line). Bytes that arrived after it
    /// stay buffered for the following `readFrame` calls.
    func readRequest(timeout: Duration = .seconds(5)) throws -> RawHTTPRequest {
        let deadline = ContinuousClock.now + timeout
        let marker: [UInt8] = [13, 10, 13, 10]
        var searchFrom = 0
        while true {
            if inbox.count >= 4 {
                var i = searchFrom
                while i + 4 <= inbox.count {
                    if inbox[i] == 13, inbox[i + 1] == 10, inbox[i + 2] == 13, inbox[i + 3] == 10 {
                        let head = Array(inbox[0..<i])
                        inbox.removeFirst(i + marker.count)
                        return try Self.parseRequest(head)
                    }
                    i += 1
                }
                searchFrom = max(0, inbox.count - 3)
            }
            if inbox.count > 64 * 1024 { throw RawPeerError.badRequest("request head larger than 64 KiB") }
            guard try fill(deadline: deadline) else { throw RawPeerError.eof }
        }
    }

    private static func parseRequest(_ head: [UInt8]) throws -> RawHTTPRequest {
        let text = String(decoding: head, as: UTF8.self)
        var lines = text.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst()
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw RawPeerError.badRequest("malformed request line: \(requestLine)") }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else {
                throw RawPeerError.badRequest("malformed header line: \(line)")
            }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if let existing = headers[name] { headers[name] = existing + ", " + value } else { headers[name] = value }
        }
        return RawHTTPRequest(
            requestLine: requestLine, method: String(parts[0]), path: String(parts[1]),
            version: String(parts[2]), headers: headers, headerLines: lines)
    }

    /// `Sec-WebSocket-Accept` for a key: base64(SHA-1(key + GUID)), RFC 6455 §4.2.2. SHA-1 comes from
    /// libwebsockets (already linked by the test target) so no other crypto dependency is needed.
    static func acceptKey(for key: String) -> String {
        let input = Array((key + webSocketGUID).utf8)
        var digest = [UInt8](repeating: 0, count: 20)
        input.withUnsafeBufferPointer { source in
            digest.withUnsafeMutableBufferPointer { md in
                _ = lws_SHA1(source.baseAddress, source.count, md.baseAddress)
            }
        }
        return Data(digest).base64EncodedString()
    }

    /// Answers the handshake with 101 Switching Protocols and the correct `Sec-WebSocket-Accept`.
    /// - Parameters:
    ///   - extraHeaders: full header lines ("Name: value", no CRLF) appended after the standard ones.
    ///   - subprotocol: sent as `Sec-WebSocket-Protocol` when non-nil.
    ///   - accept: a value to send instead of the correct accept hash (to provoke a handshake failure).
    func acceptUpgrade(
        _ request: RawHTTPRequest, extraHeaders: [String] = [], subprotocol: String? = nil, accept: String? = nil
    ) throws {
        guard let key = request.webSocketKey else { throw RawPeerError.badRequest("no Sec-WebSocket-Key") }
        var lines = [
            "HTTP/1.1 101 Switching Protocols",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Accept: \(accept ?? Self.acceptKey(for: key))",
        ]
        if let subprotocol { lines.append("Sec-WebSocket-Protocol: \(subprotocol)") }
        lines += extraHeaders
        try sendRaw(Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8))
    }

    /// Sends an arbitrary HTTP/1.1 response. `Content-Length` is added unless `headers` already has one
    /// or the status forbids a body (1xx, 204, 304); use `sendRaw` for anything stranger.
    func sendHTTP(status: Int, reason: String, headers: [String] = [], body: String = "") throws {
        var lines = ["HTTP/1.1 \(status) \(reason)"] + headers
        let hasLength = headers.contains { $0.lowercased().hasPrefix("content-length:") }
        let bodyless = (100..<200).contains(status) || status == 204 || status == 304
        if !hasLength && !bodyless { lines.append("Content-Length: \(body.utf8.count)") }
        try sendRaw(Array((lines.joined(separator: "\r\n") + "\r\n\r\n" + body).utf8))
    }

    // MARK: Frame building (pure, so tests can also assemble byte sequences by hand)

    /// A frame header. With a `maskKey` the MASK bit is set and the 4 key bytes follow the length.
    static func frameHeader(
        opcode: UInt8, fin: Bool = true, rsv: UInt8 = 0, length: UInt64, maskKey: [UInt8]? = nil,
        encoding: RawLengthEncoding = .minimal
    ) -> [UInt8] {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | (rsv & 0x07) << 4 | (opcode & 0x0F)]
        let maskBit: UInt8 = maskKey == nil ? 0 : 0x80
        let chosen: RawLengthEncoding
        if encoding == .minimal {
            chosen = length <= 125 ? .bits7 : (length <= 0xFFFF ? .bits16 : .bits64)
        } else {
            chosen = encoding
        }
        switch chosen {
        case .bits7, .minimal:
            bytes.append(maskBit | UInt8(truncatingIfNeeded: length) & 0x7F)
        case .bits16:
            bytes.append(maskBit | 126)
            let short = UInt16(truncatingIfNeeded: length)
            bytes += [UInt8(short >> 8), UInt8(short & 0xFF)]
        case .bits64:
            bytes.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: length >> UInt64(shift)))
            }
        }
        if let maskKey { bytes += maskKey.prefix(4) }
        return bytes
    }

    /// A whole frame. `declaredLength` lets the header lie about the payload size; `mask` masks the
    /// payload with `maskKey` (random when nil) — servers must not mask, so that too is a provocation.
    static func frameBytes(
        opcode: UInt8, payload: [UInt8], fin: Bool = true, rsv: UInt8 = 0, mask: Bool = false,
        maskKey: [UInt8]? = nil, declaredLength: UInt64? = nil, encoding: RawLengthEncoding = .minimal
    ) -> [UInt8] {
        let key: [UInt8]? = mask ? (maskKey ?? randomMaskKey()) : nil
        var bytes = frameHeader(
            opcode: opcode, fin: fin, rsv: rsv, length: declaredLength ?? UInt64(payload.count),
            maskKey: key, encoding: encoding)
        if let key {
            bytes += payload.enumerated().map { $0.element ^ key[$0.offset & 3] }
        } else {
            bytes += payload
        }
        return bytes
    }

    static func randomMaskKey() -> [UInt8] { (0..<4).map { _ in UInt8.random(in: 0...255) } }

    // MARK: Sending

    /// Writes bytes exactly as given. Never raises SIGPIPE (MSG_NOSIGNAL); a gone client gives `.io(EPIPE)`.
    func sendRaw(_ bytes: [UInt8], timeout: Duration = .seconds(5)) throws {
        guard !bytes.isEmpty else { return }
        let fd = try openFD()
        let deadline = ContinuousClock.now + timeout
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                try waitReady(fd, events: Int16(POLLOUT), deadline: deadline)
                let sent = rawSysSend(
                    fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                if sent < 0 {
                    let code = errno
                    if code == EINTR || code == EAGAIN || code == EWOULDBLOCK { continue }
                    throw RawPeerError.io(code)
                }
                offset += sent
            }
        }
    }

    /// Waits until the client's kernel has acknowledged every byte sent so far (the send queue,
    /// `SIOCOUTQ`, is empty), so the next `sendRaw` leaves in a TCP segment of its own. False on
    /// timeout. Checks the queue every millisecond: Linux has no event for "all acknowledged".
    func waitUntilAcknowledged(timeout: Duration = .seconds(5)) throws -> Bool {
        let fd = try openFD()
        var on: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var queued: Int32 = 0
            guard ioctl(fd, UInt(TIOCOUTQ), &queued) == 0 else { throw RawPeerError.io(errno) }
            if queued == 0 { return true }
            _ = poll(nil, 0, 1)
        }
        return false
    }

    /// Sends one well-formed (length-wise) frame; everything else is the caller's choice.
    func sendFrame(opcode: UInt8, payload: [UInt8], fin: Bool = true, rsv: UInt8 = 0, mask: Bool = false) throws {
        try sendRaw(Self.frameBytes(opcode: opcode, payload: payload, fin: fin, rsv: rsv, mask: mask))
    }

    /// Sends only a frame header announcing `length` bytes (which may be a lie, e.g. `1 << 63`);
    /// follow with `sendRaw` for whatever payload bytes the test wants. With `mask`, the header carries
    /// `maskKey` (random when nil) and the caller must mask the payload it sends.
    func sendFrameHeader(
        opcode: UInt8, fin: Bool = true, rsv: UInt8 = 0, length: UInt64, mask: Bool = false,
        maskKey: [UInt8]? = nil, encoding: RawLengthEncoding = .minimal
    ) throws {
        let key: [UInt8]? = mask ? (maskKey ?? Self.randomMaskKey()) : nil
        try sendRaw(
            Self.frameHeader(opcode: opcode, fin: fin, rsv: rsv, length: length, maskKey: key, encoding: encoding))
    }

    func sendText(_ s: String) throws { try sendFrame(opcode: RawOpcode.text, payload: Array(s.utf8)) }
    func sendBinary(_ b: [UInt8]) throws { try sendFrame(opcode: RawOpcode.binary, payload: b) }
    func sendPing(_ payload: [UInt8] = []) throws { try sendFrame(opcode: RawOpcode.ping, payload: payload) }
    func sendPong(_ payload: [UInt8] = []) throws { try sendFrame(opcode: RawOpcode.pong, payload: payload) }

    /// A close frame; with `code == nil` the payload is empty (and `reason` is ignored).
    func sendClose(code: UInt16?, reason: String = "") throws {
        var payload: [UInt8] = []
        if let code { payload = [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8) }
        try sendFrame(opcode: RawOpcode.close, payload: payload)
    }

    // MARK: Receiving

    /// Reads one frame and unmasks it. Returns nil when the client closed the connection cleanly
    /// between frames; throws `.eof` if it closed in the middle of one. Opcodes, RSV bits and control
    /// frame sizes are not judged here — that is the conformance test's business. On `.timeout` no
    /// bytes are consumed.
    func readFrame(timeout: Duration = .seconds(5)) throws -> RawFrame? {
        try readFrame(deadline: ContinuousClock.now + timeout)
    }

    private func readFrame(deadline: ContinuousClock.Instant) throws -> RawFrame? {
        guard try ensure(2, deadline: deadline) else {
            if inbox.isEmpty { return nil }
            throw RawPeerError.eof
        }
        let b0 = inbox[0]
        let b1 = inbox[1]
        let masked = b1 & 0x80 != 0
        var headerLength = 2
        var length = UInt64(b1 & 0x7F)
        if length == 126 {
            guard try ensure(4, deadline: deadline) else { throw RawPeerError.eof }
            length = UInt64(inbox[2]) << 8 | UInt64(inbox[3])
            headerLength = 4
        } else if length == 127 {
            guard try ensure(10, deadline: deadline) else { throw RawPeerError.eof }
            length = inbox[2..<10].reduce(0) { $0 << 8 | UInt64($1) }
            headerLength = 10
            if length & (1 << 63) != 0 {
                throw RawPeerError.badFrame("64-bit payload length with the most significant bit set")
            }
        }
        guard length <= UInt64(maxFramePayload) else {
            throw RawPeerError.badFrame("payload length \(length) exceeds maxFramePayload \(maxFramePayload)")
        }
        let keyLength = masked ? 4 : 0
        let total = headerLength + keyLength + Int(length)
        guard try ensure(total, deadline: deadline) else { throw RawPeerError.eof }
        let key: [UInt8]? = masked ? Array(inbox[headerLength..<headerLength + 4]) : nil
        var payload = Array(inbox[(headerLength + keyLength)..<total])
        if let key {
            for i in payload.indices { payload[i] ^= key[i & 3] }
        }
        inbox.removeFirst(total)
        return RawFrame(
            fin: b0 & 0x80 != 0, rsv: (b0 >> 4) & 0x07, opcode: b0 & 0x0F, masked: masked, maskKey: key,
            payload: payload)
    }

    /// Reads one message: reassembles fragmented text/binary messages; a control frame (also one
    /// arriving between fragments) is returned on its own as `(opcode, payload)`, and the fragments
    /// read so far are kept for the next call. Nothing is answered automatically (no pong, no close).
    /// Returns nil at a clean EOF between messages; throws `.eof` if the connection ended mid-message
    /// and `.badFrame` for a continuation without a start, a new data frame inside a fragmented
    /// message, or a reserved data opcode.
    func readMessage(timeout: Duration = .seconds(5)) throws -> (opcode: UInt8, payload: [UInt8])? {
        let deadline = ContinuousClock.now + timeout
        while true {
            guard let frame = try readFrame(deadline: deadline) else {
                if partial != nil { throw RawPeerError.eof }
                return nil
            }
            if frame.isControl { return (frame.opcode, frame.payload) }
            switch frame.opcode {
            case RawOpcode.continuation:
                guard var message = partial else {
                    throw RawPeerError.badFrame("continuation frame without a started message")
                }
                message.payload += frame.payload
                if frame.fin {
                    partial = nil
                    return message
                }
                partial = message
            case RawOpcode.text, RawOpcode.binary:
                guard partial == nil else { throw RawPeerError.badFrame("new data frame inside a fragmented message") }
                if frame.fin { return (frame.opcode, frame.payload) }
                partial = (frame.opcode, frame.payload)
            default:
                throw RawPeerError.badFrame("reserved data opcode 0x\(String(frame.opcode, radix: 16))")
            }
        }
    }

    /// Reads frames, discarding everything else, until a close frame arrives; nil if the connection
    /// ended first. Does not answer the close.
    func readUntilClose(timeout: Duration = .seconds(5)) throws -> RawFrame? {
        let deadline = ContinuousClock.now + timeout
        while let frame = try readFrame(deadline: deadline) {
            if frame.opcode == RawOpcode.close { return frame }
        }
        return nil
    }

    /// Waits until the client has closed its side (FIN, or RST), discarding anything it still sends.
    /// Returns false on timeout, or when this side is already closed (nothing can be observed then).
    func waitForEOF(timeout: Duration) -> Bool {
        inbox.removeAll()
        guard let fd = try? openFD() else { return false }
        let deadline = ContinuousClock.now + timeout
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            do {
                try waitReady(fd, events: Int16(POLLIN), deadline: deadline)
            } catch {
                return false
            }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n == 0 { return true }
            if n < 0 {
                let code = errno
                if code == EINTR || code == EAGAIN || code == EWOULDBLOCK { continue }
                return code == ECONNRESET || code == EPIPE
            }
        }
    }

    // MARK: Ending the connection

    /// Half close: sends FIN, keeps reading possible (the client may still send, e.g. its close frame).
    func shutdownWrite() {
        socket.withLock { fd in
            if fd >= 0 { rawSysShutdown(fd, Int32(SHUT_WR)) }
        }
    }

    /// Orderly close (FIN). Unread input is drained first because Linux turns close() with unread
    /// data into an RST, which would make a "clean close" test observe a reset instead.
    func close() {
        socket.withLock { fd in
            guard fd >= 0 else { return }
            rawSysShutdown(fd, Int32(SHUT_WR))
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            while chunk.withUnsafeMutableBytes({ recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }) > 0 {}
            rawSysClose(fd)
            fd = -1
        }
    }

    /// Abortive close: SO_LINGER with a zero timeout makes close() send an RST, so the client sees
    /// ECONNRESET instead of an EOF.
    func reset() {
        socket.withLock { fd in
            guard fd >= 0 else { return }
            var option = linger(l_onoff: 1, l_linger: 0)
            _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
            rawSysClose(fd)
            fd = -1
        }
    }

    /// Used by `RawWebSocketServer.stop()`: wakes a script blocked in poll (it then sees EOF) without
    /// freeing the descriptor number while the script may still use it.
    func abort() {
        socket.withLock { fd in
            if fd >= 0 { rawSysShutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    /// Used by `RawWebSocketServer.stop()` once the script thread has finished.
    func closeAfterScript() {
        socket.withLock { fd in
            if fd >= 0 {
                rawSysClose(fd)
                fd = -1
            }
        }
    }

    // MARK: Low level

    private func openFD() throws -> Int32 {
        let fd = socket.withLock { $0 }
        guard fd >= 0 else { throw RawPeerError.io(EBADF) }
        return fd
    }

    /// Makes sure `count` bytes are buffered; false if the stream ended first.
    private func ensure(_ count: Int, deadline: ContinuousClock.Instant) throws -> Bool {
        while inbox.count < count {
            guard try fill(deadline: deadline) else { return false }
        }
        return true
    }

    /// One receive into the buffer; false at EOF (or if this side was closed by `close`/`reset`).
    private func fill(deadline: ContinuousClock.Instant) throws -> Bool {
        guard let fd = try? openFD() else { return false }
        while true {
            try waitReady(fd, events: Int16(POLLIN), deadline: deadline)
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n > 0 {
                inbox += chunk[0..<n]
                return true
            }
            if n == 0 { return false }
            let code = errno
            if code == EINTR || code == EAGAIN || code == EWOULDBLOCK { continue }
            if code == ECONNRESET { return false }
            throw RawPeerError.io(code)
        }
    }

    /// poll(2) until `events` are ready or the deadline passes (`.timeout`).
    private func waitReady(_ fd: Int32, events: Int16, deadline: ContinuousClock.Instant) throws {
        while true {
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&entry, 1, Self.milliseconds(until: deadline))
            if ready > 0 { return }
            if ready == 0 { throw RawPeerError.timeout }
            let code = errno
            if code == EINTR { continue }
            throw RawPeerError.io(code)
        }
    }

    /// Milliseconds left until `deadline`, rounded up, clamped to poll's Int32 range (0 once passed).
    static func milliseconds(until deadline: ContinuousClock.Instant) -> Int32 {
        let left = deadline - ContinuousClock.now
        guard left > .zero else { return 0 }
        let (seconds, attoseconds) = left.components
        let ms = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: ms)
    }
}
