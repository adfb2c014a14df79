// ServerCallback: the C callback of the server's libwebsockets protocols.
//
// A global @convention(c) function (lws cannot take a closure with context). It finds its
// ServerLoop through lws_context_user(lws_get_context(wsi)), the only lookup that also works for
// the fake wsi of LWS_CALLBACK_EVENT_WAIT_CANCELLED, translates each reason it handles into a
// ServerEvent for the loop, and the loop's answer into lws's return value. Reasons it does not
// handle go to lws_callback_http_dummy (e.g. plain HTTP requests get 404).
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
    let connection = ServerWSI(wsi)

    let event: ServerEvent
    switch reason {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        _ = loop.handle(.wokenUp, on: connection)
        // Always 0: nonzero would close lws's event pipe and break lws_cancel_service.
        return 0
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        // Nonzero refuses the upgrade.
        return loop.handle(.upgradeRequested, on: connection) == .proceed ? 0 : 1
    case LWS_CALLBACK_ESTABLISHED:
        event = .established
    case LWS_CALLBACK_RECEIVE:
        event = .received(
            UnsafeRawBufferPointer(start: input, count: input == nil ? 0 : length),
            isFirst: connection.isFirstFragment,
            isFinal: connection.isFinalFragment,
            isBinary: connection.isBinaryFrame)
    case LWS_CALLBACK_SERVER_WRITEABLE:
        event = .writeable
    case LWS_CALLBACK_TIMER:
        event = .timer
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        // The client's close frame: its first two bytes are the code.
        let payload = UnsafeRawBufferPointer(start: input, count: input == nil ? 0 : length)
        event = .peerClosing(code: payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil)
    case LWS_CALLBACK_CLOSED, LWS_CALLBACK_WSI_DESTROY:
        event = .closed
    default:
        return lws_callback_http_dummy(wsi, reason, user, input, length)
    }
    return loop.handle(event, on: connection) == .proceed ? 0 : -1
}

/// Logs why OpenSSL refused a client certificate (mutual TLS), with the server's logger.
private func clientCertificateRejected(store: OpaquePointer, wsi: OpaquePointer?) {
    guard let wsi, let context = lws_get_context(wsi), let owner = lws_context_user(context) else { return }
    let code = X509_STORE_CTX_get_error(store)
    let text = X509_verify_cert_error_string(Int(code)).map { String(cString: $0) } ?? "X509 error \(code)"
    // Unretained: as above, the service thread making this call keeps the loop alive.
    Unmanaged<ServerLoop>.fromOpaque(owner).takeUnretainedValue().clientCertificateRejected(text, code: Int(code))
}
