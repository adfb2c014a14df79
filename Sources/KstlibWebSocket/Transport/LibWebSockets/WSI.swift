// One libwebsockets connection handle (`struct lws *`) and every per-connection call the client makes.
internal import CLibWebSockets
internal import CLWSShim
import Glibc

/// A client connection as libwebsockets knows it: its `wsi` pointer, and the calls the
/// connection logic makes on it, in Swift terms.
///
/// A plain copy of the pointer: valid from the connection's first callback until `WSI_DESTROY`,
/// and used only on the service thread, like every libwebsockets call but the loop's wake-up.
/// The calls on the per-message path are inlined, so a message costs what the C calls cost.
struct WSI {
    let pointer: OpaquePointer

    @inline(__always)
    init(_ pointer: OpaquePointer) { self.pointer = pointer }

    // MARK: Receiving

    /// The chunk being received starts a message.
    @inline(__always)
    var isFirstFragment: Bool { lws_is_first_fragment(pointer) != 0 }

    /// The chunk being received ends its message (for an inflated message, see ``LWSConnection/receive``).
    @inline(__always)
    var isFinalFragment: Bool { lws_is_final_fragment(pointer) != 0 }

    /// The message being received is binary.
    @inline(__always)
    var frameIsBinary: Bool { lws_frame_is_binary(pointer) != 0 }

    /// Payload bytes of the current frame that have not been delivered yet: a size hint.
    @inline(__always)
    var remainingFramePayload: Int { Int(lws_remaining_packet_payload(pointer)) }

    /// Why reading is paused. libwebsockets reads only while no reason holds; each reason is
    /// one bit of its rx flow mask.
    enum ReadingPause {
        /// The sink asked for backpressure: libwebsockets' own user boolean (bit 0).
        case backpressure
        /// A pong is pending (see ``PongGuardState``).
        case pongPending
    }

    /// The rx-flow reason bit for a pending pong (bit 0 is the user boolean).
    private static let pongPendingReason = Int32(1 << 1)

    /// Stops reading for `reason` (rx flow control); libwebsockets keeps what it has already read.
    @inline(__always)
    func pauseReading(_ reason: ReadingPause) {
        switch reason {
        case .backpressure: _ = lws_rx_flow_control(pointer, 0)
        case .pongPending: _ = lws_rx_flow_control(pointer, Int32(LWS_RXFLOW_REASON_APPLIES) | Self.pongPendingReason)
        }
    }

    /// Lifts `reason`; reading resumes once no other reason holds.
    @inline(__always)
    func resumeReading(_ reason: ReadingPause) {
        switch reason {
        case .backpressure: _ = lws_rx_flow_control(pointer, 1)
        case .pongPending:
            _ = lws_rx_flow_control(pointer, Int32(LWS_RXFLOW_REASON_APPLIES_ENABLE) | Self.pongPendingReason)
        }
    }

    // MARK: Writing

    /// The bytes a write needs free before its payload (`LWS_PRE`), for the frame header.
    static let headroom = Int(LWSS_PRE)

    /// Writes `count` bytes of `storage` from `start` as `kind` (an ``LWSWriteKind`` value); the
    /// ``headroom`` bytes before `start` must be free for the frame header. Returns what
    /// `lws_write` returns: negative when the connection must close.
    @inline(__always)
    func write(_ storage: inout [UInt8], from start: Int, count: Int, as kind: Int32) -> Int32 {
        storage.withUnsafeMutableBytes { raw in lwss_write(pointer, raw.baseAddress! + start, count, kind) }
    }

    /// Asks for a WRITEABLE callback once the socket takes data.
    @inline(__always)
    func requestWritable() { _ = lws_callback_on_writable(pointer) }

    /// The socket's send buffer is full: a write now would be buffered by libwebsockets.
    @inline(__always)
    var sendPipeChoked: Bool { lws_send_pipe_choked(pointer) != 0 }

    /// libwebsockets holds the rest of a partial write, which it flushes before the next WRITEABLE.
    @inline(__always)
    var hasPartialWrite: Bool { lws_partial_buffered(pointer) != 0 }

    /// Sets the close frame libwebsockets sends when the WRITEABLE callback returns -1.
    func setCloseReason(_ code: UInt16, reason: [UInt8]) {
        var bytes = reason
        bytes.withUnsafeMutableBufferPointer { buffer in
            lwss_close_reason(pointer, Int32(code), buffer.baseAddress, buffer.count)
        }
    }

    /// Writes a close frame with `code` straight to the socket, for the moments libwebsockets
    /// would drop the connection without one; the bytes written, or -1.
    @discardableResult
    func writeRawClose(_ code: UInt16) -> Int32 { lwss_write_raw_close(pointer, code) }

    // MARK: Time

    /// Arms the connection's one timer (a TIMER callback after `delay`), replacing any armed one.
    func setTimer(after delay: Duration) { lws_set_timer_usecs(pointer, delay.microseconds) }

    /// Has libwebsockets close the connection at once, without a close frame (a zero timeout
    /// that it acts on at its next service, outside the current callback).
    func kill() { lws_set_timeout(pointer, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC) }

    // MARK: The connection behind the handle

    /// The connection the handle points back to (set, unretained, by the connect call), or nil
    /// once it has let go.
    @inline(__always)
    var connection: LWSConnection? {
        guard let raw = lws_get_opaque_user_data(pointer) else { return nil }
        return Unmanaged<LWSConnection>.fromOpaque(raw).takeUnretainedValue()
    }

    /// Lets go of the connection: callbacks that still come for the handle find nothing.
    func detachConnection() { lws_set_opaque_user_data(pointer, nil) }

    // MARK: State of the transport

    /// What the transport under a connection being closed says about the peer.
    enum PeerState: CaseIterable {
        /// The socket is open both ways: libwebsockets ended the connection on its own.
        case healthy
        /// The peer ended the TCP stream (FIN, or a TLS close_notify).
        case closed
        /// The socket reports an error (reset) or is gone.
        case failed
    }

    /// One non-consuming look at the socket; only while libwebsockets is closing the connection.
    var peerState: PeerState {
        switch lwss_peer_state(pointer) {
        case LWSS_PEER_HEALTHY: return .healthy
        case LWSS_PEER_CLOSED: return .closed
        default: return .failed
        }
    }

    /// The OpenSSL session (`SSL *`), once TLS has started on a wss:// connection.
    var ssl: OpaquePointer? { lws_get_ssl(pointer) }

    // MARK: The server's answer

    /// The HTTP status of the server's answer to the upgrade request; 0 before one came.
    var httpStatus: Int { Int(lws_http_client_http_response(pointer)) }

    /// The `Sec-WebSocket-Protocol` the server chose, or nil.
    var subprotocolHeader: String? { headerValue(WSI_TOKEN_PROTOCOL) }

    /// The `Sec-WebSocket-Extensions` the server accepted, or nil.
    var extensionsHeader: String? { headerValue(WSI_TOKEN_EXTENSIONS) }

    /// Every response header libwebsockets parsed, with lower-case names: the ~100 it knows by
    /// token, and from 4.3 the others too (``customResponseHeaders()``).
    func responseHeaders() -> [String: String] {
        var headers: [String: String] = [:]
        for index in 0..<WSI_TOKEN_COUNT.rawValue {
            let token = lws_token_indexes(rawValue: index)
            guard let namePointer = lws_token_to_string(token) else { continue }
            var name = String(
                decoding: UnsafeRawBufferPointer(
                    start: namePointer, count: strlen(UnsafeRawPointer(namePointer).assumingMemoryBound(to: CChar.self))
                ), as: UTF8.self)
            guard name.hasSuffix(":") else { continue } // pseudo tokens such as the request line
            name.removeLast()
            if let value = headerValue(token) { headers[name.lowercased()] = value }
        }
        headers.merge(customResponseHeaders()) { known, _ in known }
        return headers
    }

    /// The response headers libwebsockets has no token for (`X-Reject-Reason`...), where it can
    /// list them (4.3 and later; ``LibWebSocketsRuntime/keepsEveryResponseHeader``).
    private func customResponseHeaders() -> [String: String] {
        var names = [CChar](repeating: 0, count: 4096)
        let count = lwss_custom_header_names(pointer, &names, names.count)
        guard count > 0 else { return [:] }
        var headers: [String: String] = [:]
        var start = 0
        for _ in 0..<count {
            let end = names[start...].firstIndex(of: 0) ?? names.count
            let name = Array(names[start..<end])
            start = end + 1
            let length = Int(lws_hdr_custom_length(pointer, name, Int32(name.count)))
            guard length >= 0 else { continue }
            var value = [CChar](repeating: 0, count: length + 1)
            guard lws_hdr_custom_copy(pointer, &value, Int32(value.count), name, Int32(name.count)) >= 0 else {
                continue
            }
            var key = String(decoding: name.map { UInt8(bitPattern: $0) }, as: UTF8.self).lowercased()
            if key.hasSuffix(":") { key.removeLast() }
            headers[key] = String(cBuffer: value)
        }
        return headers
    }

    /// A request or response header as a string, or nil when absent.
    private func headerValue(_ token: lws_token_indexes) -> String? {
        let length = Int(lws_hdr_total_length(pointer, token))
        guard length > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: length + 1)
        guard lws_hdr_copy(pointer, &buffer, Int32(buffer.count), token) >= 0 else { return nil }
        return String(cBuffer: buffer)
    }
}
