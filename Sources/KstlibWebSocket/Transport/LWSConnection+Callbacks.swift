// Translation of libwebsockets' callback sequences into transport events.
import Foundation

extension LWSConnection {
    /// Handles one libwebsockets callback for this connection (service thread); the value
    /// libwebsockets gets back.
    func handle(_ event: ConnectionEvent, wsi: WSI) -> Int32 {
        if self.wsi == nil && !ended { self.wsi = wsi }
        switch event {
        case .received(let chunk):
            return receive(wsi: wsi, chunk: chunk)
        case .writeable:
            defer { noteWritten() }
            return writeable(wsi: wsi)
        case .pong:
            receivedPong()
        case .timer:
            keepaliveTick(wsi: wsi)
        case .appendingHeaders(let writer):
            requestSent = true
            return appendHeaders(writer)
        case .answerArrived:
            subprotocol = wsi.subprotocolHeader
            compressionActive = wsi.extensionsHeader?.contains("permessage-deflate") ?? false
        case .established:
            established = true
            sink.transportOpened(subprotocol: subprotocol, compressed: compressionActive)
            startKeepalive(wsi: wsi)
            takeOutbox()
            if writeHead < writing.count || failingClose != nil { requestWritable() }
        case .connectionError(let detail):
            captureTLSAlert(wsi)
            recordConnectionError(wsi: wsi, detail: detail)
        case .httpClosed:
            // A failure before the upgrade may end here without any CONNECTION_ERROR.
            captureTLSAlert(wsi)
        case .verifyingServerCertificate(let ssl, let failure):
            TLSAlertRecorder.watch(ssl: ssl)
            if let failure { tlsVerifyError = failure }
        case .peerInitiatedClose(let payload):
            return peerInitiatedClose(wsi: wsi, payload: payload)
        case .closing:
            // Either callback may come first (DROP_PROTOCOL only when a protocol was bound).
            if established && !ended { deliverTentativeMessage() }
            noteClosedByLibWebSockets(wsi: wsi)
        case .confirmingExtension:
            return options.compression.enabled ? 0 : 1
        case .extensionDefaults(let writer):
            writer.write(deflateDefaults)
        case .destroyed:
            finish()
        case .other:
            break
        }
        return 0
    }

    /// Reads a close frame's payload: big-endian code, then a reason that is not NUL-terminated.
    static func parseClosePayload(_ bytes: UnsafeRawBufferPointer) -> (code: WebSocketCloseCode, reason: String) {
        guard bytes.count >= 2 else { return (.noStatusReceived, "") }
        let code = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        let reason = String(decoding: bytes[2...], as: UTF8.self)
        return (WebSocketCloseCode(code), reason)
    }

    /// Adds the application's headers to the upgrade request; nonzero aborts the handshake.
    private func appendHeaders(_ writer: HandshakeHeaderWriter?) -> Int32 {
        guard !options.headers.isEmpty, let writer else { return 0 }
        for header in options.headers {
            guard writer.append(name: header.name.lowercased(), value: header.value) else {
                handshakeFailure = WebSocketHandshakeFailure(
                    kind: .badHandshake, reason: "the request headers do not fit in libwebsockets' buffer")
                return 1
            }
        }
        return 0
    }

    /// Classifies a failed attempt by how far it got, never by libwebsockets' words (which
    /// change between versions and builds); those are kept as the failure's detail.
    private func recordConnectionError(wsi: WSI, detail: String?) {
        let status = wsi.httpStatus
        let failure: WebSocketHandshakeFailure
        if status > 0 && status != 101 {
            failure = WebSocketHandshakeFailure(
                kind: .httpStatus, reason: "the server refused the upgrade with HTTP \(status)",
                httpStatus: status, headers: wsi.responseHeaders(), detail: detail)
        } else if requestSent {
            failure = Self.unansweredUpgrade(peer: wsi.peerState, detail: detail)
        } else if options.url.secure && wsi.ssl != nil {
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
    static func unansweredUpgrade(peer: WSI.PeerState, detail: String?) -> WebSocketHandshakeFailure {
        switch peer {
        case .closed:
            return WebSocketHandshakeFailure(
                kind: .closedDuringHandshake,
                reason: "the server closed the connection without answering the upgrade request",
                detail: detail)
        case .failed:
            return WebSocketHandshakeFailure(
                kind: .closedDuringHandshake, reason: "connection reset (ECONNRESET) before the upgrade was answered",
                socketError: .connectionReset, detail: detail)
        case .healthy:
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
    private func captureTLSAlert(_ wsi: WSI) {
        guard !established, tlsAlert == nil, options.url.secure else { return }
        tlsAlert = TLSAlertRecorder.alert(on: wsi)
    }

    /// libwebsockets is closing an established connection. When neither side asked for it and
    /// the socket is still healthy (no FIN, no reset, no TLS close_notify), libwebsockets ended
    /// it on its own, and the only thing it does that for is a frame its parser rejects: a
    /// protocol violation by the server, which it reports with the same callbacks as a drop.
    private func noteClosedByLibWebSockets(wsi: WSI) {
        guard established, violation == nil, closeSent == nil, peerClose == nil, failingClose == nil, !aborted,
            !pingTimedOut, wsi.peerState == .healthy
        else { return }
        violation = WebSocketProtocolError(
            "the server sent a malformed frame",
            protocolError: "a frame that breaks RFC 6455 (reserved bits or opcode, a fragmented or oversized "
                + "control frame, a continuation out of order, or a bad length); libwebsockets rejected it",
            closeCode: .protocolError)
        // RFC 6455 7.1.7: fail the connection with 1002. libwebsockets would just drop it.
        wsi.writeRawClose(WebSocketCloseCode.protocolError.rawValue)
    }

    /// Tunes libwebsockets' permessage-deflate for this connection.
    ///
    /// A 64 KiB inflate buffer (the cap libwebsockets allows with our 64 KiB rx buffer, up from
    /// 1 KiB) lets a typical message inflate in one pass, and sidesteps most of libwebsockets
    /// 4.1's `priv->rx.avail_out` assertion, which aborts the process when a message's last
    /// inflate fills the buffer exactly (seen with a libwebsockets peer).
    private var deflateDefaults: String {
        // Our compressor's window: RFC 7692 lets a client use a smaller one than it offered
        // without telling the server, whose inflater handles any window up to 15 bits.
        var text = "rx_buf_size=16; tx_buf_size=15; client_max_window_bits=\(options.compression.clientMaxWindowBits)"
        if options.compression.clientNoContextTakeover { text += "; client_no_context_takeover" }
        return text
    }
}
