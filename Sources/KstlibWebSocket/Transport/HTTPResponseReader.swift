// One HTTP/1.1 response read as its bytes arrive, its body bounded.
import Foundation

/// Reads an HTTP/1.1 response fed in pieces of any size: the status line, every header, and the
/// body framed by `Content-Length`, `Transfer-Encoding: chunked` or the end of the connection.
///
/// The body is kept up to ``bodyLimit`` bytes; past it the response is ``Response/truncated`` and
/// complete, so a hostile server cannot make the reader hold more. A head that does not end
/// within ``maxHead`` bytes is malformed.
struct HTTPResponseReader {
    /// What the server answered.
    struct Response: Sendable, Equatable {
        var status: Int
        var reason: String
        /// Lower-case names; a repeated header's values joined with ", " (RFC 9110 5.3).
        var headers: [String: String]
        var body: [UInt8]
        /// The body is longer than what was kept, or ended before its announced length.
        var truncated: Bool
    }

    /// The largest response head read.
    static let maxHead = 64 * 1024

    let bodyLimit: Int
    /// Stop after the head: a proxy's answer to `CONNECT`, where any bytes that follow belong
    /// to the tunnel.
    let headOnly: Bool
    private(set) var response: Response?
    private(set) var isComplete = false
    /// Why the bytes are not an HTTP response, in words.
    private(set) var malformed: String?
    /// Bytes read past the end of the response (the tunnel's, after a proxy's head).
    var leftover: [UInt8] { Array(buffer) }

    private var buffer: ArraySlice<UInt8> = []
    private var framing = Framing.head

    private enum Framing {
        case head
        case length(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkEnd
        case untilClose
        case done
    }

    init(bodyLimit: Int, headOnly: Bool = false) {
        self.bodyLimit = bodyLimit
        self.headOnly = headOnly
    }

    /// Whether more bytes are wanted.
    var wantsMore: Bool { !isComplete && malformed == nil }

    /// Takes the next bytes from the connection.
    mutating func feed(_ bytes: some Sequence<UInt8>) {
        guard wantsMore else { return }
        buffer.append(contentsOf: bytes)
        while wantsMore, step() {}
    }

    /// No more bytes will come: the connection ended (`endOfStream`) or the time ran out. A body
    /// delimited by the end of the connection is then whole; any other unfinished body is
    /// truncated.
    mutating func finish(endOfStream: Bool) {
        guard wantsMore, response != nil else { return }
        var whole = false
        if case .untilClose = framing { whole = endOfStream }
        if !whole { response?.truncated = true }
        complete()
    }

    /// One parsing step; `false` when it needs more bytes.
    private mutating func step() -> Bool {
        switch framing {
        case .head:
            return readHead()
        case .length(let remaining):
            guard !buffer.isEmpty else { return false }
            let taken = min(remaining, buffer.count)
            keep(buffer.prefix(taken))
            buffer.removeFirst(taken)
            guard wantsMore else { return true }
            if remaining == taken { complete() } else { framing = .length(remaining: remaining - taken) }
            return true
        case .chunkSize:
            guard let line = takeLine() else { return false }
            let digits = line.prefix { $0 != UInt8(ascii: ";") }
            let text = String(decoding: digits, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            guard let size = Int(text, radix: 16), size >= 0 else {
                malformed = "a chunk size that is not hexadecimal"
                return false
            }
            if size == 0 {
                complete()
            } else {
                framing = .chunkData(remaining: size)
            }
            return true
        case .chunkData(let remaining):
            guard !buffer.isEmpty else { return false }
            let taken = min(remaining, buffer.count)
            keep(buffer.prefix(taken))
            buffer.removeFirst(taken)
            if wantsMore { framing = remaining == taken ? .chunkEnd : .chunkData(remaining: remaining - taken) }
            return true
        case .chunkEnd:
            guard takeLine() != nil else { return false }
            framing = .chunkSize
            return true
        case .untilClose:
            guard !buffer.isEmpty else { return false }
            let bytes = buffer
            buffer = []
            keep(bytes)
            return true
        case .done:
            return false
        }
    }

    private mutating func readHead() -> Bool {
        // The same verdict however the bytes were cut: a head is too large by its own length.
        guard let end = buffer.firstRange(of: [13, 10, 13, 10]),
            buffer.distance(from: buffer.startIndex, to: end.lowerBound) <= Self.maxHead
        else {
            if buffer.count > Self.maxHead + 3 { malformed = "a response head larger than \(Self.maxHead) bytes" }
            return false
        }
        let head = String(decoding: buffer[buffer.startIndex..<end.lowerBound], as: UTF8.self)
        buffer = buffer[end.upperBound...]
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), statusLine[1].count == 3,
            let status = Int(statusLine[1])
        else {
            malformed = "not an HTTP/1.1 status line"
            return false
        }
        let headers = Self.headers(lines)
        response = Response(
            status: status, reason: statusLine.count > 2 ? String(statusLine[2]) : "", headers: headers, body: [],
            truncated: false)
        if headOnly || (100...199).contains(status) || status == 204 || status == 304 {
            complete()
        } else if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            framing = .chunkSize
        } else if let length = headers["content-length"].flatMap({ Int($0) }), length >= 0 {
            framing = .length(remaining: length)
            if length == 0 { complete() }
        } else {
            framing = .untilClose
        }
        return true
    }

    /// Appends body bytes up to the limit; past it the response is truncated and complete.
    private mutating func keep(_ bytes: ArraySlice<UInt8>) {
        guard var kept = response else { return }
        let room = bodyLimit - kept.body.count
        kept.body += bytes.prefix(room)
        if bytes.count > room { kept.truncated = true }
        response = kept
        if bytes.count > room { complete() }
    }

    /// A CRLF-terminated line, without its CRLF.
    private mutating func takeLine() -> ArraySlice<UInt8>? {
        guard let end = buffer.firstRange(of: [13, 10]),
            buffer.distance(from: buffer.startIndex, to: end.lowerBound) <= Self.maxHead
        else {
            if buffer.count > Self.maxHead + 1 { malformed = "a chunk header larger than \(Self.maxHead) bytes" }
            return nil
        }
        let line = buffer[buffer.startIndex..<end.lowerBound]
        buffer = buffer[end.upperBound...]
        return line
    }

    private mutating func complete() {
        isComplete = true
        framing = .done
    }

    /// Header lines as lower-cased names to values, repeated names joined with ", " (RFC 9110
    /// 5.3); lines without a colon are skipped. Shared with ``ProxyProbe``.
    static func headers(_ lines: [String]) -> [String: String] {
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { "\($0), \(value)" } ?? value
        }
        return headers
    }
}
