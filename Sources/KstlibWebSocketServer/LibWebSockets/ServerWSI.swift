// ServerWSI: the libwebsockets calls the server makes on one connection (its `wsi`).
//
// A thin wrapper: each method is one lws call with Swift types, so the server's logic never
// touches the C API; the receive and write paths allocate nothing. Valid only on the service
// thread, inside lws callbacks, while lws keeps the wsi (until CLOSED / WSI_DESTROY).
internal import CLibWebSockets
internal import CLWSShim

/// One connection of the embedded server as libwebsockets knows it.
struct ServerWSI {
    /// The bytes lws writes in front of a payload for the frame header (LWS_PRE): buffers
    /// handed to `writeFrame` keep that many writable bytes before their first byte.
    static let frameHeadroom = Int(LWSS_PRE)

    /// The wsi: identifies the connection across callbacks (lws hands the same pointer to each).
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }

    // MARK: Receiving

    /// The chunk being delivered starts a message.
    var isFirstFragment: Bool {
        @inline(__always) get { lws_is_first_fragment(pointer) != 0 }
    }

    /// The chunk being delivered ends its message.
    var isFinalFragment: Bool {
        @inline(__always) get { lws_is_final_fragment(pointer) != 0 }
    }

    /// The message being delivered is binary.
    var isBinaryFrame: Bool {
        @inline(__always) get { lws_frame_is_binary(pointer) != 0 }
    }

    /// Stops (`false`) or resumes reading from the socket: receive back-pressure.
    func setReceiving(_ enabled: Bool) {
        lws_rx_flow_control(pointer, enabled ? 1 : 0)
    }

    // MARK: Writing

    /// Writes one frame of `count` payload bytes at `payload`, which must have `frameHeadroom`
    /// writable bytes before it. A first frame carries the message type, later ones are
    /// continuations; all but the last have FIN clear. Returns false on a fatal error.
    @inline(__always)
    func writeFrame(_ payload: UnsafeMutableRawPointer, count: Int, isFirst: Bool, isFinal: Bool, isBinary: Bool)
        -> Bool
    {
        var flags =
            isFirst
            ? (isBinary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT).rawValue
            : LWS_WRITE_CONTINUATION.rawValue
        if !isFinal {
            flags |= LWS_WRITE_NO_FIN.rawValue
        }
        return lwss_write(pointer, payload.assumingMemoryBound(to: UInt8.self), count, Int32(flags)) >= 0
    }

    /// Writes `bytes` to the socket as they are: no websocket framing, no extension (lws's
    /// HTTP write mode), yet still through lws's partial-send buffering. Returns false on a
    /// fatal error.
    func writeRaw(_ bytes: inout [UInt8]) -> Bool {
        lws_write(pointer, &bytes, bytes.count, LWS_WRITE_HTTP) >= 0
    }

    /// Whether the socket has unsent data: writing more now would only grow lws's buffer.
    var isSendPipeChoked: Bool {
        @inline(__always) get { lws_send_pipe_choked(pointer) != 0 }
    }

    /// Asks for a writeable event.
    @inline(__always)
    func requestWriteable() {
        _ = lws_callback_on_writable(pointer)
    }

    // MARK: Closing

    /// Sets the code and reason (at most 123 bytes) of the close frame lws sends when the
    /// writeable callback then returns "close".
    func setCloseReason(code: UInt16, reason: inout [UInt8]) {
        lwss_close_reason(pointer, Int32(code), &reason, reason.count)
    }

    /// Has lws close the socket, without a close frame, on its next service pass (an immediate
    /// timeout works even when the socket is backed up).
    func closeSocketSoon() {
        lws_set_timeout(pointer, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC)
    }

    // MARK: Timer

    /// Arms (or re-arms) the connection's timer: a timer event follows in `microseconds`.
    func setTimer(microseconds: Int64) {
        lws_set_timer_usecs(pointer, lws_usec_t(microseconds))
    }

    // MARK: Upgrade request

    /// Copies the request path (query stripped) into `buffer` as a NUL-terminated string.
    /// Returns its length; 0 or less when the header table is gone or has no GET URI.
    func copyRequestPath(into buffer: inout [CChar]) -> Int {
        Int(lws_hdr_copy(pointer, &buffer, Int32(buffer.count), WSI_TOKEN_GET_URI))
    }

    /// Copies query argument `index` (`name=value`, URL-decoded) into `buffer` as a
    /// NUL-terminated string. Returns false when there is no such argument.
    func copyQueryArgument(_ index: Int, into buffer: inout [CChar]) -> Bool {
        lws_hdr_copy_fragment(pointer, &buffer, Int32(buffer.count), WSI_TOKEN_HTTP_URI_ARGS, Int32(index)) >= 0
    }

    /// The numeric address of the peer, nil if lws cannot tell.
    var peerAddress: String? {
        var buffer = [CChar](repeating: 0, count: 64)
        guard lws_get_peer_simple(pointer, &buffer, buffer.count) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Extensions

    /// Sets an option of the permessage-deflate extension. Returns false when the extension is
    /// not active on this connection (the handshake did not negotiate it).
    func setPermessageDeflateOption(_ name: String, to value: String) -> Bool {
        lws_set_extension_option(pointer, "permessage-deflate", name, value) == 0
    }
}
