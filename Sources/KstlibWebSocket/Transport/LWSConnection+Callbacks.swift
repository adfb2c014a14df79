// Translation of libwebsockets' callback sequences into transport events.
internal import CLibWebSockets
internal import CLWSShim
import Foundation

extension LWSConnection {
    /// Handles one libwebsockets callback for this connection (service thread).
    func handle(
        _ reason: lws_callback_reasons, wsi: OpaquePointer, user: UnsafeMutableRawPointer?,
        input: UnsafeMutableRawPointer?, length: Int
    ) -> Int32 {
        if self.wsi == nil && !ended { self.wsi = wsi }
        switch reason {
        case LWS_CALLBACK_CLIENT_RECEIVE:
            return receive(wsi: wsi, input: input, length: length)
        case LWS_CALLBACK_CLIENT_WRITEABLE:
            defer { noteWritten() }
            return writeable(wsi: wsi)
        case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
            receivedPong()
        case LWS_CALLBACK_TIMER:
            keepaliveTick(wsi: wsi)
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
            requestSent = true
            return appendHeaders(wsi: wsi, input: input, space: length)
        case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH:
            subprotocol = headerValue(wsi, WSI_TOKEN_PROTOCOL)
            compressionActive = headerValue(wsi, WSI_TOKEN_EXTENSIONS)?.contains("permessage-deflate") ?? false
        case LWS_CALLBACK_CLIENT_ESTABLISHED:
            established = true
            sink.transportOpened(subprotocol: subprotocol, compressed: compressionActive)
            startKeepalive(wsi: wsi)
            takeOutbox()
            if writeHead < writing.count || failingClose != nil { requestWritable() }
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            captureTLSAlert(wsi)
            recordConnectionError(wsi: wsi, input: input)
        case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
            // A failure before the upgrade may end here without any CONNECTION_ERROR.
            captureTLSAlert(wsi)
        case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
            TLSAlertRecorder.watch(ssl: input.map(OpaquePointer.init) ?? lws_get_ssl(wsi))
            recordCertificateVerdict(store: user, preverifyOK: length)
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            return peerInitiatedClose(wsi: wsi, input: input, length: length)
        case LWS_CALLBACK_WS_CLIENT_DROP_PROTOCOL, LWS_CALLBACK_CLIENT_CLOSED:
            // Either may come first (DROP_PROTOCOL only when a protocol was bound).
            if established && !ended { deliverTentativeMessage() }
            noteClosedByLibWebSockets(wsi: wsi)
        case LWS_CALLBACK_CLIENT_CONFIRM_EXTENSION_SUPPORTED:
            return options.compression.enabled ? 0 : 1
        case LWS_CALLBACK_WS_EXT_DEFAULTS:
            return writeDeflateDefaults(into: input, capacity: length)
        case LWS_CALLBACK_WSI_DESTROY:
            finish()
        default:
            break
        }
        return 0
    }

    /// Reads a close frame's payload: big-endian code, then a reason that is not NUL-terminated.
    static func parseClosePayload(_ input: UnsafeMutableRawPointer?, _ length: Int) -> (
        code: WebSocketCloseCode, reason: String
    ) {
        guard let input, length >= 2 else { return (.noStatusReceived, "") }
        let bytes = UnsafeRawBufferPointer(start: input, count: length)
        let code = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        let reason = String(decoding: bytes[2...], as: UTF8.self)
        return (WebSocketCloseCode(code), reason)
    }

    private func appendHeaders(wsi: OpaquePointer, input: UnsafeMutableRawPointer?, space: Int) -> Int32 {
        guard !options.headers.isEmpty, let input else { return 0 }
        let cursor = input.assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self)
        guard let start = cursor.pointee else { return 0 }
        let end = start + space
        for header in options.headers {
            let name = header.name.lowercased() + ":"
            let value = Array(header.value.utf8)
            let status = value.withUnsafeBufferPointer { buffer in
                lws_add_http_header_by_name(wsi, name, buffer.baseAddress, Int32(buffer.count), cursor, end)
            }
            // Nonzero aborts the handshake: the headers do not fit.
            if status != 0 {
                handshakeFailure = WebSocketHandshakeFailure(
                    kind: .badHandshake, reason: "the request headers do not fit in libwebsockets' buffer")
                return 1
            }
        }
        return 0
    }

    /// Classifies a failed attempt by how far it got, never by libwebsockets' words (which
    /// change between versions and builds); those are kept as the failure's detail.
    private func recordConnectionError(wsi: OpaquePointer, input: UnsafeMutableRawPointer?) {
        let detail = input.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) }
        let status = Int(lws_http_client_http_response(wsi))
        let failure: WebSocketHandshakeFailure
        if status > 0 && status != 101 {
            failure = WebSocketHandshakeFailure(
                kind: .httpStatus, reason: "the server refused the upgrade with HTTP \(status)",
                httpStatus: status, headers: responseHeaders(wsi), detail: detail)
        } else if requestSent {
            failure = Self.unansweredUpgrade(peer: lwss_peer_state(wsi), detail: detail)
        } else if options.url.secure && lws_get_ssl(wsi) != nil {
            failure = WebSocketHandshakeFailure(
                kind: .tls, reason: tlsVerifyError ?? "the TLS handshake did not complete", detail: detail)
        } else {
            // Only the operating system knows why the TCP connect failed; libwebsockets has
            // already read (and so cleared) the socket's error. See ConnectFailureProbe.
            failure = ConnectFailureProbe.pending(options: options, detail: detail)
        }
        handshakeFailure = failure
    }

    /// The upgrade request went out and no valid answer came: the socket says whether the server
    /// closed, reset, or answered with something that is not a WebSocket handshake.
    static func unansweredUpgrade(peer: lwss_peer_state, detail: String?) -> WebSocketHandshakeFailure {
        switch peer {
        case LWSS_PEER_CLOSED:
            return WebSocketHandshakeFailure(
                kind: .closedDuringHandshake,
                reason: "the server closed the connection without answering the upgrade request",
                detail: detail)
        case LWSS_PEER_FAILED:
            return WebSocketHandshakeFailure(
                kind: .closedDuringHandshake, reason: "connection reset (ECONNRESET) before the upgrade was answered",
                socketError: .connectionReset, detail: detail)
        default:
            return WebSocketHandshakeFailure(
                kind: .badHandshake,
                reason: "the server did not answer the upgrade request with a valid WebSocket handshake", detail: detail
            )
        }
    }

    /// Before the upgrade completes, a wss:// connection that ends may have been ended by the
    /// server's TLS alert. Only from CONNECTION_ERROR and CLOSED_CLIENT_HTTP: both come only
    /// when the connection is being torn down (the peek in ``TLSAlertRecorder/alert(on:)``
    /// must never pull data from a live session) and before lws frees the TLS session (which
    /// it does before WSI_DESTROY).
    private func captureTLSAlert(_ wsi: OpaquePointer) {
        guard !established, tlsAlert == nil, options.url.secure else { return }
        tlsAlert = TLSAlertRecorder.alert(on: wsi)
    }

    private func recordCertificateVerdict(store: UnsafeMutableRawPointer?, preverifyOK: Int) {
        guard preverifyOK == 0, let store else { return }
        let context = OpaquePointer(store)
        let code = X509_STORE_CTX_get_error(context)
        if let text = X509_verify_cert_error_string(Int(code)) {
            tlsVerifyError = "certificate verification failed: \(String(cString: text)) (X509 error \(code))"
        }
    }

    /// libwebsockets is closing an established connection. When neither side asked for it and
    /// the socket is still healthy (no FIN, no reset, no TLS close_notify), libwebsockets ended
    /// it on its own, and the only thing it does that for is a frame its parser rejects: a
    /// protocol violation by the server, which it reports with the same callbacks as a drop.
    private func noteClosedByLibWebSockets(wsi: OpaquePointer) {
        guard established, violation == nil, closeSent == nil, peerClose == nil, failingClose == nil, !aborted,
            !pingTimedOut, lwss_peer_state(wsi) == LWSS_PEER_HEALTHY
        else { return }
        violation = WebSocketProtocolError(
            "the server sent a malformed frame",
            protocolError: "a frame that breaks RFC 6455 (reserved bits or opcode, a fragmented or oversized "
                + "control frame, a continuation out of order, or a bad length); libwebsockets rejected it",
            closeCode: .protocolError)
        // RFC 6455 7.1.7: fail the connection with 1002. libwebsockets would just drop it.
        _ = lwss_write_raw_close(wsi, WebSocketCloseCode.protocolError.rawValue)
    }

    /// Tunes libwebsockets' permessage-deflate for this connection.
    ///
    /// A 64 KiB inflate buffer (the cap libwebsockets allows with our 64 KiB rx buffer, up from
    /// 1 KiB) lets a typical message inflate in one pass, and sidesteps most of libwebsockets
    /// 4.1's `priv->rx.avail_out` assertion, which aborts the process when a message's last
    /// inflate fills the buffer exactly (seen with a libwebsockets peer).
    private func writeDeflateDefaults(into buffer: UnsafeMutableRawPointer?, capacity: Int) -> Int32 {
        guard let buffer, capacity > 0 else { return 0 }
        // Our compressor's window: RFC 7692 lets a client use a smaller one than it offered
        // without telling the server, whose inflater handles any window up to 15 bits.
        var text = "rx_buf_size=16; tx_buf_size=15; client_max_window_bits=\(options.compression.clientMaxWindowBits)"
        if options.compression.clientNoContextTakeover { text += "; client_no_context_takeover" }
        let bytes = Array(text.utf8.prefix(capacity - 1)) + [0]
        buffer.copyMemory(from: bytes, byteCount: bytes.count)
        return 0
    }

    /// Every response header libwebsockets parsed, with lower-case names: the ~100 it knows by
    /// token, and from 4.3 the others too (``customResponseHeaders(_:)``).
    private func responseHeaders(_ wsi: OpaquePointer) -> [String: String] {
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
            if let value = headerValue(wsi, token) { headers[name.lowercased()] = value }
        }
        headers.merge(customResponseHeaders(wsi)) { known, _ in known }
        return headers
    }

    /// The response headers libwebsockets has no token for (`X-Reject-Reason`...), where it can
    /// list them (4.3 and later; ``LibWebSocketsRuntime/keepsEveryResponseHeader``).
    private func customResponseHeaders(_ wsi: OpaquePointer) -> [String: String] {
        var names = [CChar](repeating: 0, count: 4096)
        let count = lwss_custom_header_names(wsi, &names, names.count)
        guard count > 0 else { return [:] }
        var headers: [String: String] = [:]
        var start = 0
        for _ in 0..<count {
            let end = names[start...].firstIndex(of: 0) ?? names.count
            let name = Array(names[start..<end])
            start = end + 1
            let length = Int(lws_hdr_custom_length(wsi, name, Int32(name.count)))
            guard length >= 0 else { continue }
            var value = [CChar](repeating: 0, count: length + 1)
            guard lws_hdr_custom_copy(wsi, &value, Int32(value.count), name, Int32(name.count)) >= 0 else { continue }
            var key = String(decoding: name.map { UInt8(bitPattern: $0) }, as: UTF8.self).lowercased()
            if key.hasSuffix(":") { key.removeLast() }
            headers[key] = String(cBuffer: value)
        }
        return headers
    }

    /// A request or response header as a string, or nil when absent.
    func headerValue(_ wsi: OpaquePointer, _ token: lws_token_indexes) -> String? {
        let length = Int(lws_hdr_total_length(wsi, token))
        guard length > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: length + 1)
        guard lws_hdr_copy(wsi, &buffer, Int32(buffer.count), token) >= 0 else { return nil }
        return String(cBuffer: buffer)
    }
}

/// Catches the fatal TLS alert a server sends, which libwebsockets 4.1 does not pass on.
///
/// Under TLS 1.3 a server that wants a client certificate and gets none, or one it does not
/// trust, refuses with an alert after our side of the handshake is done; libwebsockets then
/// reports only `"read failed"` and logs OpenSSL's reason at INFO level. Its own alert hook
/// (`ssl_info_event_mask`, `LWS_CALLBACK_SSL_INFO`) cannot be used on clients: in 4.1.6
/// `lws_ssl_info_callback` reads the SSL_CTX's ex_data as the lws context, but on a client
/// SSL_CTX lws stores its context-reuse record there, and the process crashed.
///
/// So each connection's SSL gets ``tlsAlertInfoCallback`` (lws sets no info callback of its own
/// when that mask is 0), which keeps the first fatal alert received in a slot of the SSL's own
/// ex_data: a plain number, nothing to free, gone with the SSL.
enum TLSAlertRecorder {
    /// Our ex_data index on SSL objects (negative if OpenSSL could not allocate one).
    static let slot: Int32 = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL, 0, nil, nil, nil, nil)

    /// Starts watching `ssl` for alerts; idempotent (service thread, during the handshake).
    static func watch(ssl: OpaquePointer?) {
        guard let ssl, slot >= 0 else { return }
        SSL_set_info_callback(ssl, tlsAlertInfoCallback)
    }

    /// The fatal alert the server sent on `wsi`'s TLS session, in words; nil if none.
    /// Only for a connection lws is tearing down, while it still holds the SSL and the socket.
    static func alert(on wsi: OpaquePointer) -> String? {
        guard slot >= 0, let ssl = lws_get_ssl(wsi) else { return nil }
        if SSL_get_ex_data(ssl, slot) == nil && SSL_is_init_finished(ssl) == 1 {
            // The server's alert comes with its TCP reset. When libwebsockets meets the reset
            // first, writing the upgrade request (close caller "cws": CLOSED_CLIENT_HTTP or
            // "Closed before conn", most runs on loopback), the alert is still unread in the
            // socket: a one-byte, non-blocking peek lets OpenSSL process it (and the info
            // callback record it). The session is being torn down anyway; the peek's own error
            // is discarded.
            var byte: UInt8 = 0
            _ = SSL_peek(ssl, &byte, 1)
            ERR_clear_error()
        }
        guard let raw = SSL_get_ex_data(ssl, slot) else { return nil }
        let value = Int32(truncatingIfNeeded: Int(bitPattern: raw) & 0xffff)
        var description = String(cString: SSL_alert_desc_string_long(value))
        if description == "unknown", let name = tls13Alerts[value & 0xff] { description = name }
        return "the server ended the TLS session with the alert '\(description)' (TLS alert \(value & 0xff))"
    }

    /// TLS 1.3 alerts (RFC 8446, 6.2) that OpenSSL 3.0's SSL_alert_desc_string_long calls "unknown".
    private static let tls13Alerts: [Int32: String] = [
        109: "missing extension", 116: "certificate required", 120: "no application protocol",
    ]
}

/// OpenSSL's info callback (service thread, inside SSL_connect / SSL_read): records the first
/// fatal alert read from the server. `value` is the alert level << 8 | description.
private func tlsAlertInfoCallback(_ ssl: OpaquePointer?, _ event: Int32, _ value: Int32) {
    guard let ssl, event & SSL_CB_ALERT != 0, event & SSL_CB_READ != 0, value >> 8 == SSL3_AL_FATAL else { return }
    guard SSL_get_ex_data(ssl, TLSAlertRecorder.slot) == nil else { return }
    // Bit 16 keeps the stored value nonzero (a NULL slot means "no alert").
    SSL_set_ex_data(ssl, TLSAlertRecorder.slot, UnsafeMutableRawPointer(bitPattern: Int(value) | 0x10000))
}
