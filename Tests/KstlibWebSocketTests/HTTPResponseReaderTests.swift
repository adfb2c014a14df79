// The replay's response reader: framing, bounds and malformed input, fed in pieces.
import Testing
@testable import KstlibWebSocket

@Suite(.timeLimit(.minutes(3))) struct HTTPResponseReaderTests {
    let json = #"{"error":"ip banned"}"#

    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Feeds `wire` split at `cut`, then ends the stream when `endOfStream`.
    func read(_ wire: [UInt8], cut: Int? = nil, limit: Int = 64 * 1024, endOfStream: Bool = false)
        -> HTTPResponseReader
    {
        var reader = HTTPResponseReader(bodyLimit: limit)
        let cut = cut ?? wire.count
        reader.feed(wire[..<cut])
        reader.feed(wire[cut...])
        if endOfStream { reader.finish(endOfStream: true) }
        return reader
    }

    @Test func aLengthDelimitedBodyIsWholeWhereverTheBytesAreCut() {
        let wire =
            bytes("HTTP/1.1 403 Forbidden\r\nX-Reject-Reason: banned\r\nVia: a\r\nVia: b\r\n")
            + bytes("Content-Length: \(json.utf8.count)\r\n\r\n\(json)")
        for cut in 0...wire.count {
            let reader = read(wire, cut: cut)
            #expect(reader.isComplete, "cut at \(cut)")
            #expect(
                reader.response
                    == .init(
                        status: 403, reason: "Forbidden",
                        headers: ["x-reject-reason": "banned", "via": "a, b", "content-length": "21"],
                        body: bytes(json), truncated: false), "cut at \(cut)")
        }
    }

    @Test func aChunkedBodyIsDecodedWhereverTheBytesAreCut() {
        let wire =
            bytes("HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n")
            + bytes("5;name=value\r\n{\"err\r\n10\r\nor\":\"expired tok\r\n3\r\nen\"\r\n0\r\nTrailer: x\r\n\r\n")
        for cut in 0...wire.count {
            let reader = read(wire, cut: cut)
            #expect(reader.isComplete, "cut at \(cut)")
            #expect(reader.response?.body == bytes(#"{"error":"expired token""#), "cut at \(cut)")
            #expect(reader.response?.truncated == false)
        }
    }

    @Test func aBodyWithoutLengthEndsWithTheStream() {
        var reader = read(bytes("HTTP/1.1 404 Not Found\r\n\r\nno such feed"))
        #expect(reader.wantsMore)
        reader.finish(endOfStream: true)
        #expect(reader.response?.body == bytes("no such feed"))
        #expect(reader.response?.truncated == false)
    }

    @Test func aBodyCutShortIsTruncated() {
        var byLength = read(bytes("HTTP/1.1 403 Forbidden\r\nContent-Length: 10\r\n\r\nabc"))
        byLength.finish(endOfStream: true)
        #expect(byLength.response?.body == bytes("abc"))
        #expect(byLength.response?.truncated == true)
        var byDeadline = read(bytes("HTTP/1.1 403 Forbidden\r\n\r\nabc"))
        byDeadline.finish(endOfStream: false)
        #expect(byDeadline.response?.truncated == true)
    }

    @Test(arguments: ["length", "chunked", "close"])
    func aBodyOverTheLimitIsCutThereAndFlagged(framing: String) {
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 100)
        let head: String
        let payload: [UInt8]
        switch framing {
        case "length": (head, payload) = ("Content-Length: 100\r\n", body)
        case "chunked":
            (head, payload) = ("Transfer-Encoding: chunked\r\n", bytes("64\r\n") + body + bytes("\r\n0\r\n\r\n"))
        default: (head, payload) = ("", body)
        }
        let reader = read(bytes("HTTP/1.1 403 Forbidden\r\n\(head)\r\n") + payload, limit: 64)
        #expect(reader.isComplete)
        #expect(reader.response?.body == Array(body.prefix(64)))
        #expect(reader.response?.truncated == true)
    }

    @Test func aBodyOfExactlyTheLimitIsNotTruncated() {
        let body = [UInt8](repeating: 7, count: 64)
        let reader = read(bytes("HTTP/1.1 403 Forbidden\r\nContent-Length: 64\r\n\r\n") + body, limit: 64)
        #expect(reader.response?.body == body)
        #expect(reader.response?.truncated == false)
        var closing = read(bytes("HTTP/1.1 403 Forbidden\r\n\r\n") + body, limit: 64)
        closing.finish(endOfStream: true)
        #expect(closing.response?.truncated == false)
    }

    @Test(arguments: [101, 204, 304])
    func statusesWithoutABodyAreCompleteAfterTheHead(status: Int) {
        let reader = read(bytes("HTTP/1.1 \(status) X\r\nContent-Length: 5\r\n\r\n"))
        #expect(reader.isComplete)
        #expect(reader.response?.status == status)
        #expect(reader.response?.body == [])
    }

    @Test func aProxysHeadLeavesTheTunnelsBytes() {
        var reader = HTTPResponseReader(bodyLimit: 0, headOnly: true)
        reader.feed(bytes("HTTP/1.1 200 Connection established\r\n\r\n\u{16}\u{3}"))
        #expect(reader.isComplete)
        #expect(reader.response?.status == 200)
        #expect(reader.leftover == [0x16, 0x03])
    }

    /// A head of exactly the largest size is read, one byte more is malformed, wherever the
    /// bytes are cut.
    @Test func theHeadLimitIsTheSameWhateverTheCuts() {
        let line = "HTTP/1.1 403 Forbidden\r\nX: "
        for extra in [0, 1] {
            let head = bytes(line) + [UInt8](repeating: 65, count: HTTPResponseReader.maxHead - line.utf8.count + extra)
            let wire = head + bytes("\r\n\r\n")
            for cut in [0, head.count - 1, head.count, head.count + 2, wire.count] {
                let reader = read(wire, cut: cut)
                #expect(reader.response?.status == (extra == 0 ? 403 : nil), "extra \(extra), cut \(cut)")
                #expect(reader.malformed == (extra == 0 ? nil : "a response head larger than 65536 bytes"))
            }
        }
    }

    @Test func somethingElseIsMalformed() {
        var notHTTP = HTTPResponseReader(bodyLimit: 10)
        notHTTP.feed(bytes("SSH-2.0-OpenSSH_9.2\r\n\r\n"))
        #expect(notHTTP.malformed == "not an HTTP/1.1 status line")
        #expect(notHTTP.response == nil)
        var badChunk = HTTPResponseReader(bodyLimit: 10)
        badChunk.feed(bytes("HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"))
        #expect(badChunk.malformed == "a chunk size that is not hexadecimal")
        var endless = HTTPResponseReader(bodyLimit: 10)
        endless.feed(bytes("HTTP/1.1 403 Forbidden\r\n") + [UInt8](repeating: 65, count: HTTPResponseReader.maxHead))
        #expect(endless.malformed == "a response head larger than 65536 bytes")
    }
}
