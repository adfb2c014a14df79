// Asks an HTTP proxy what it answers to our CONNECT, after libwebsockets dropped its answer.
import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// One `CONNECT` to a proxy, to learn why a connection through it failed.
///
/// libwebsockets 4.1 reads a proxy's refusal and throws it away (it reports only `proxy not h1`),
/// and a proxy that is down looks like a target that is down. So after an attempt through a
/// proxy failed before the upgrade, the manager asks the proxy once more, on a Dispatch worker
/// with a deadline, and reports what it said. A `CONNECT` has no effect beyond the TCP
/// connection the proxy may open to the target, which this closes at once.
enum ProxyProbe {
    /// What the proxy did.
    enum Outcome: Sendable, Equatable {
        /// The TCP connection to the proxy failed with this `errno`.
        case unreachable(errno: Int32)
        /// The proxy answered with this status line and headers (lower-case names).
        case answered(status: Int, reason: String, headers: [String: String])
        /// The proxy accepted the connection but sent no complete answer in time.
        case silent
    }

    /// The most of the proxy's answer that is read: the head, and up to 64 KiB in all.
    static let maxAnswer = 64 * 1024

    /// Sends `CONNECT target` to the proxy at `address` (numeric) and `port`.
    static func probe(address: String, port: Int, target: String, timeout: Duration) async throws -> Outcome {
        try await OneShot.run { ask(address: address, port: port, target: target, timeout: timeout) }
    }

    private static func ask(address: String, port: Int, target: String, timeout: Duration) -> Outcome {
        let deadline = ContinuousClock.now + timeout
        var storage = sockaddr_storage()
        guard let length = fill(&storage, address: address, port: port) else { return .unreachable(errno: EINVAL) }
        let fd = socket(Int32(storage.ss_family), Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .unreachable(errno: errno) }
        defer { close(fd) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let started = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        if started != 0 {
            guard errno == EINPROGRESS else { return .unreachable(errno: errno) }
            guard wait(fd, for: POLLOUT, until: deadline) else { return .silent }
            var failure: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &size)
            if failure != 0 { return .unreachable(errno: failure) }
        }
        let request = Array("CONNECT \(target) HTTP/1.1\r\nHost: \(target)\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count
        else { return .silent }
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while answer.count < maxAnswer, wait(fd, for: POLLIN, until: deadline) {
            let count = read(fd, &chunk, min(chunk.count, maxAnswer - answer.count))
            if count <= 0 { break }
            answer += chunk[0..<count]
            if answer.count >= 4, answer.firstRange(of: [13, 10, 13, 10]) != nil { break }
        }
        return parse(answer) ?? .silent
    }

    /// `HTTP/1.x NNN Reason` and the header lines up to the blank line (or as far as they came).
    static func parse(_ bytes: [UInt8]) -> Outcome? {
        let text = String(decoding: bytes, as: UTF8.self)
        let head = text.components(separatedBy: "\r\n\r\n")[0]
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/"), let status = Int(statusLine[1]) else {
            return nil
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { "\($0), \(value)" } ?? value
        }
        return .answered(status: status, reason: statusLine.count > 2 ? String(statusLine[2]) : "", headers: headers)
    }

    /// Polls `fd` for `event` until `deadline`; `false` when the time ran out.
    private static func wait(_ fd: Int32, for event: Int32, until deadline: ContinuousClock.Instant) -> Bool {
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return false }
            var entry = pollfd(fd: fd, events: Int16(event), revents: 0)
            let ready = poll(&entry, 1, Int32(max(1, (left / .milliseconds(1)).rounded(.up))))
            if ready > 0 { return true }
            if ready < 0 && errno != EINTR { return false }
        }
    }

    /// Writes the numeric `address` and `port` into `storage`; its length, `nil` if not numeric.
    private static func fill(_ storage: inout sockaddr_storage, address: String, port: Int) -> socklen_t? {
        withUnsafeMutableBytes(of: &storage) { raw -> socklen_t? in
            if address.contains(":") {
                let v6 = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
                v6.pointee.sin6_family = sa_family_t(AF_INET6)
                v6.pointee.sin6_port = UInt16(port).bigEndian
                guard inet_pton(AF_INET6, address, &v6.pointee.sin6_addr) == 1 else { return nil }
                return socklen_t(MemoryLayout<sockaddr_in6>.size)
            }
            let v4 = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
            v4.pointee.sin_family = sa_family_t(AF_INET)
            v4.pointee.sin_port = UInt16(port).bigEndian
            guard inet_pton(AF_INET, address, &v4.pointee.sin_addr) == 1 else { return nil }
            return socklen_t(MemoryLayout<sockaddr_in>.size)
        }
    }
}
