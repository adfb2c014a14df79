// RawWebSocketServer (test support): the accept key and RawPeer's frame encoder, checked against the
// RFC's example and the independent encoder of PlainClient.
import Testing

@Suite("RawWebSocketServer (test support): encodings", .timeLimit(.minutes(3)))
struct RawWebSocketServerEncodingTests {
    @Test("Sec-WebSocket-Accept matches the RFC 6455 §1.3 example")
    func acceptKeyExample() {
        #expect(RawPeer.acceptKey(for: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        // The RFC's GUID is ...-47DA-...; both vectors re-checked with `openssl sha1 -binary | base64`.
        #expect(RawPeer.acceptKey(for: "x3JJHMbDL1EzLkh9GBhXDw==") == "HSmrc0sMlYUkAGmm5OPpG2HaGWk=")
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
}
