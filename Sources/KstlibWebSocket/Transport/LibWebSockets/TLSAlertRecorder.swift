// The fatal TLS alert a server sends before the upgrade, read from OpenSSL under libwebsockets.
internal import CLibWebSockets

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
    static func alert(on wsi: WSI) -> String? {
        guard slot >= 0, let ssl = wsi.ssl else { return nil }
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
