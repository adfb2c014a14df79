// libwebsockets' write protocols as plain integers, whatever Swift type their enum imports as.
internal import CLibWebSockets
internal import CLWSShim

/// `enum lws_write_protocol` values for ``WSI/write(_:from:count:as:)``.
///
/// libwebsockets 4.5 added a value that changes the enum's underlying C type, so Swift imports it
/// with a `UInt32` raw value on 4.1–4.3 and an `Int32` one from 4.5: code that builds the enum
/// from an integer compiles on one and not the other. The shim takes an `int`; these are the
/// constants, converted once.
enum LWSWriteKind {
    static let text = Int32(truncatingIfNeeded: LWS_WRITE_TEXT.rawValue)
    static let binary = Int32(truncatingIfNeeded: LWS_WRITE_BINARY.rawValue)
    static let ping = Int32(truncatingIfNeeded: LWS_WRITE_PING.rawValue)
    /// Bytes written as they are: a frame we framed ourselves.
    static let http = Int32(truncatingIfNeeded: LWS_WRITE_HTTP.rawValue)

    /// One fragment of a text or binary message: the first carries the message's opcode, the
    /// others are continuations, and the last has FIN set.
    @inline(__always)
    static func fragment(text: Bool, first: Bool, last: Bool) -> Int32 {
        lwss_write_ws_flags(text ? Self.text : binary, first ? 1 : 0, last ? 1 : 0)
    }
}
