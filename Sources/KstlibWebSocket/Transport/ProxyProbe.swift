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
        let fd: Int32
        switch TCPConnect.open(address: address, port: port, until: deadline) {
        case .connected(let socket): fd = socket
        case .failed(let code): return .unreachable(errno: code)
        case .timedOut: return .silent
        }
        defer { close(fd) }
        let request = Array("CONNECT \(target) HTTP/1.1\r\nHost: \(target)\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count
        else { return .silent }
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while answer.count < maxAnswer, TCPConnect.wait(fd, for: POLLIN, until: deadline) {
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
        let headers = HTTPResponseReader.headers(lines)
        return .answered(status: status, reason: statusLine.count > 2 ? String(statusLine[2]) : "", headers: headers)
    }
}
