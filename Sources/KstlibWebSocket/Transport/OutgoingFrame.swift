// A message waiting to be written, already laid out the way libwebsockets' write wants it.

/// One queued write: a data message, a ping, or the close that ends the queue.
///
/// Data is copied exactly once, from the caller's value into `storage`, behind the headroom
/// libwebsockets asks for; it writes the frame header into that headroom and masks in place.
struct OutgoingFrame: Sendable {
    enum Kind: Sendable, Equatable {
        case text, binary, ping
        case close(code: WebSocketCloseCode, reason: String)
    }

    let kind: Kind
    /// ``headroom`` bytes followed by the payload.
    var storage: [UInt8]
    /// How much of the payload has been written (messages go out in fragments).
    var written = 0
    /// The connection's count of accepted payload bytes once this frame was accepted, so the
    /// service thread can tell how much is written from the frame it is at (see
    /// ``LWSConnection/pendingBytes``).
    var acceptedThrough = 0

    static let headroom = WSI.headroom

    var payloadCount: Int { storage.count - Self.headroom }

    init(kind: Kind, payload: some Collection<UInt8>) {
        self.kind = kind
        var storage = [UInt8]()
        storage.reserveCapacity(Self.headroom + payload.count)
        storage.append(contentsOf: repeatElement(0, count: Self.headroom))
        storage.append(contentsOf: payload)
        self.storage = storage
    }

    static func text(_ text: String) -> OutgoingFrame { OutgoingFrame(kind: .text, payload: text.utf8) }
    static func binary(_ bytes: some Collection<UInt8>) -> OutgoingFrame {
        OutgoingFrame(kind: .binary, payload: bytes)
    }
    static func close(_ code: WebSocketCloseCode, _ reason: String) -> OutgoingFrame {
        OutgoingFrame(kind: .close(code: code, reason: reason), payload: EmptyCollection())
    }
}
