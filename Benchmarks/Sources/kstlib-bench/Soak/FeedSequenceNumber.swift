// FeedSequenceNumber: a /feed message's `seq` read as "<incarnation>:<n>". The soak starts server
// incarnation k with its feed counter at k * incarnationStride, so a restarted server's numbers
// never collide with an earlier one's and a repeat can be told from a restart.
import KstlibWebSocket

struct FeedSequenceNumber: Equatable, Sendable {
    /// Numbers per incarnation: 10^9 messages, 27 hours at the feed's highest rate (50,000/s).
    static let incarnationStride = 1_000_000_000

    /// Which server process produced the message (0 for the first).
    var incarnation: Int
    /// The message's number within its incarnation, from 1.
    var n: Int

    init(incarnation: Int, n: Int) {
        self.incarnation = incarnation
        self.n = n
    }

    init(seq: Int) {
        incarnation = seq / Self.incarnationStride
        n = seq % Self.incarnationStride
    }

    /// The `--feed-start` of the server for `incarnation`.
    static func feedStart(incarnation: Int) -> Int {
        incarnation * incarnationStride
    }

    /// Reads `seq` from a /feed message `{"seq":N,"ts":S}`; nil for any other message. A hand-made
    /// scan instead of JSONDecoder: at 10,000 messages a second the decoder would cost the client
    /// more CPU than the library under test.
    init?(message: WebSocketMessage) {
        guard case .text(let text) = message else { return nil }
        let prefix = #"{"seq":"#.utf8
        let utf8 = text.utf8
        guard utf8.starts(with: prefix) else { return nil }
        var seq = 0
        var digits = 0
        for byte in utf8.dropFirst(prefix.count) {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { break }
            seq = seq &* 10 &+ Int(byte - UInt8(ascii: "0"))
            digits += 1
        }
        guard digits > 0, digits <= 18 else { return nil }
        self.init(seq: seq)
    }
}
