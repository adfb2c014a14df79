// A tiny HTTP CONNECT proxy on loopback, for proxy tests over real sockets.
import CLibWebSockets
import Foundation
import Glibc
import Synchronization

/// Accepts `CONNECT host:port`, dials the target and pipes bytes both ways; or refuses with a
/// status. Records every request line it saw.
final class ConnectProxy: Sendable {
    enum Mode: Sendable {
        case tunnel
        /// Answers every CONNECT with `status`, the `headers` lines and `body`.
        case refuse(status: Int, headers: [String] = [], body: String = "")
    }

    let port: Int
    private let listener: Int32
    private let mode: Mode
    private let seen = Mutex<[String]>([])
    private let stopped = Atomic<Bool>(false)

    init(mode: Mode = .tunnel) throws {
        self.mode = mode
        let (fd, port) = try makeLoopbackListener()
        listener = fd
        self.port = port
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// The request lines received so far (`CONNECT host:port HTTP/1.1`).
    var requests: [String] { seen.withLock { $0 } }

    func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    deinit { stop() }

    private func acceptLoop() {
        while !stopped.load(ordering: .acquiring) {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let thread = Thread { [self] in serve(client) }
            thread.start()
        }
    }

    private func serve(_ client: Int32) {
        defer { close(client) }
        guard let head = readHead(client) else { return }
        let requestLine = head.split(separator: "\r\n").first.map(String.init) ?? ""
        seen.withLock { $0.append(requestLine) }
        let parts = requestLine.split(separator: " ")
        guard parts.count == 3, parts[0] == "CONNECT", let colon = parts[1].lastIndex(of: ":"),
            let targetPort = Int(parts[1][parts[1].index(after: colon)...])
        else {
            writeAll(client, Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".utf8))
            return
        }
        if case .refuse(let status, let headers, let body) = mode {
            let head = ["HTTP/1.1 \(status) Refused", "Content-Length: \(body.utf8.count)"] + headers
            writeAll(client, Array((head.joined(separator: "\r\n") + "\r\n\r\n" + body).utf8))
            return
        }
        let host = String(parts[1][..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        guard let upstream = dial(host: host, port: targetPort) else {
            writeAll(client, Array("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n".utf8))
            return
        }
        defer { close(upstream) }
        writeAll(client, Array("HTTP/1.1 200 Connection established\r\n\r\n".utf8))
        pump(client, upstream)
    }

    /// Reads up to the end of the request head, byte by byte (the tunnel starts right after).
    private func readHead(_ fd: Int32) -> String? {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while bytes.count < 8192 {
            guard read(fd, &byte, 1) == 1 else { return nil }
            bytes.append(byte)
            if bytes.count >= 4 && bytes.suffix(4).elementsEqual([13, 10, 13, 10]) {
                return String(decoding: bytes, as: UTF8.self)
            }
        }
        return nil
    }

    private func dial(host: String, port: Int) -> Int32? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { return nil }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0, connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            if fd >= 0 { close(fd) }
            return nil
        }
        return fd
    }

    /// Copies bytes both ways until either side closes.
    private func pump(_ a: Int32, _ b: Int32) {
        var fds = [pollfd(fd: a, events: Int16(POLLIN), revents: 0), pollfd(fd: b, events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !stopped.load(ordering: .acquiring) {
            guard poll(&fds, 2, 1000) >= 0 else { return }
            for (index, entry) in fds.enumerated() where entry.revents != 0 {
                let count = read(entry.fd, &buffer, buffer.count)
                if count <= 0 { return }
                writeAll(index == 0 ? b : a, Array(buffer[0..<count]))
            }
        }
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written <= 0 { return }
            offset += written
        }
    }
}
