// ServerCallback: the C callback of the server's libwebsockets protocols.
//
// A global @convention(c) function (lws cannot take a closure with context). It finds its
// ServerLoop through lws_context_user(lws_get_context(wsi)), the only lookup that also works for
// the fake wsi of LWS_CALLBACK_EVENT_WAIT_CANCELLED, and forwards each reason it handles.
// Reasons it does not handle go to lws_callback_http_dummy (e.g. plain HTTP requests get 404).
internal import CLibWebSockets

func embeddedServerCallback(
    _ wsi: OpaquePointer?,
    _ reason: lws_callback_reasons,
    _ user: UnsafeMutableRawPointer?,
    _ input: UnsafeMutableRawPointer?,
    _ length: Int
) -> Int32 {
    if reason == LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION {
        // lws 4.1 hands our return value to OpenSSL as the verdict on the client certificate
        // (0 = accept), in place of OpenSSL's own `preverify_ok` (`length`); the dummy
        // callback's 0 would accept any certificate, even one no trusted CA issued.
        if length == 0, let store = user {
            clientCertificateRejected(store: OpaquePointer(store), wsi: wsi)
        }
        return length != 0 ? 0 : 1
    }
    guard let wsi, let context = lws_get_context(wsi), let owner = lws_context_user(context) else {
        return lws_callback_http_dummy(wsi, reason, user, input, length)
    }
    // Unretained is safe: the context user is the ServerLoop whose service thread is making this
    // call, and that thread keeps the loop alive until after lws_context_destroy returns.
    let loop = Unmanaged<ServerLoop>.fromOpaque(owner).takeUnretainedValue()

    switch reason {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        loop.drainCommands()
        // Always 0: nonzero would close lws's event pipe and break lws_cancel_service.
        return 0

    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return loop.filter(wsi)

    case LWS_CALLBACK_ESTABLISHED:
        return loop.established(wsi)

    case LWS_CALLBACK_RECEIVE:
        guard let connection = loop.connection(for: wsi) else { return 0 }
        connection.receive(
            UnsafeRawBufferPointer(start: input, count: input == nil ? 0 : length),
            isFirst: lws_is_first_fragment(wsi) != 0,
            isFinal: lws_is_final_fragment(wsi) != 0,
            isBinary: lws_frame_is_binary(wsi) != 0)
        return 0

    case LWS_CALLBACK_SERVER_WRITEABLE:
        return loop.connection(for: wsi)?.writeable() ?? 0

    case LWS_CALLBACK_TIMER:
        loop.connection(for: wsi)?.timer()
        return 0

    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        // The client's close frame: its first two bytes are the code (none means 1005).
        let payload = UnsafeRawBufferPointer(start: input, count: input == nil ? 0 : length)
        loop.statistics.peerCloseCodes.withLock {
            $0.append(payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : 1005)
        }
        return 0

    case LWS_CALLBACK_CLOSED, LWS_CALLBACK_WSI_DESTROY:
        loop.forget(wsi)
        return 0

    default:
        return lws_callback_http_dummy(wsi, reason, user, input, length)
    }
}

/// Logs why OpenSSL refused a client certificate (mutual TLS), with the server's logger.
private func clientCertificateRejected(store: OpaquePointer, wsi: OpaquePointer?) {
    guard let wsi, let context = lws_get_context(wsi), let owner = lws_context_user(context) else { return }
    let code = X509_STORE_CTX_get_error(store)
    let text = X509_verify_cert_error_string(Int(code)).map { String(cString: $0) } ?? "X509 error \(code)"
    // Unretained: as above, the service thread making this call keeps the loop alive.
    Unmanaged<ServerLoop>.fromOpaque(owner).takeUnretainedValue().clientCertificateRejected(text, code: Int(code))
}
