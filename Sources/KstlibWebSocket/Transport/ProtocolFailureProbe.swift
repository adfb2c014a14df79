// Tells a protocol violation from a network drop, which libwebsockets 4.1 does not.
internal import CLWSShim

/// Recovers why libwebsockets' client parser gave up on a connection.
///
/// libwebsockets 4.1 reports a framing violation (reserved bits, reserved opcode, fragmented or
/// oversized control frame, orphan continuation, bad 64-bit length) only as an INFO log line,
/// `"<reason>"` followed by `"client_rx_sm exited, DROPPING"`, then closes the TCP connection
/// with the same callbacks as a reset. The C log hook keeps, per service thread, the line before
/// that marker when it is one of the parser's violation reasons (the marker alone also follows a
/// normal close acknowledgement). The close that follows runs on the same call stack (`CLIENT_CLOSED`, or
/// `WS_CLIENT_DROP_PROTOCOL` when a protocol was bound, comes before any other connection's data
/// callback), so the connection that sees that close with a pending failure is the one that
/// failed. A data callback in between
/// (possible only if the close was deferred to flush output) forgets the note, so a failure can
/// be missed (reported as 1006) but never pinned on the wrong connection.
enum ProtocolFailureProbe {
    /// The pending failure's raw log line, consumed.
    static func take() -> String? {
        var buffer = [CChar](repeating: 0, count: 200)
        guard lwss_take_protocol_failure(&buffer, buffer.count) == 1 else { return nil }
        return String(cBuffer: buffer)
    }

    /// Forgets a pending failure; a cheap thread-local check first.
    @inline(__always)
    static func forget() {
        if lwss_has_protocol_failure() != 0 { lwss_clear_protocol_failure() }
    }

    /// Turns libwebsockets' terse reason into words a user can act on, keeping the original.
    static func explain(_ raw: String) -> String {
        let known: [(String, String)] = [
            ("illegal rsv", "reserved bits set without a negotiated extension"),
            ("illegal opcode", "reserved opcode"),
            ("disordered continuation", "continuation frame without a message to continue"),
            ("owed us a FIN", "new data message while a fragmented message was unfinished"),
            ("can't be fragmented", "fragmented control frame"),
            ("extended length is illegal", "control frame longer than 125 bytes"),
            ("b63 of length", "64-bit payload length with the most significant bit set"),
            ("Unhandled ext opc", "reserved opcode"),
        ]
        let meaning = known.first { raw.contains($0.0) }?.1 ?? "malformed frame"
        return "\(meaning) (libwebsockets: \(raw))"
    }
}
