// The libwebsockets callbacks a client connection acts on, translated into Swift values.
internal import CLibWebSockets
// Also the shim, which includes libwebsockets.h: where another module loads it first, the
// callback constants resolve only with both imported.
internal import CLWSShim

/// One libwebsockets callback for a client connection, with its `user`, `in` and `len`
/// arguments read the way that callback defines them.
///
/// The payloads point into libwebsockets' buffers: valid only during the callback.
enum ConnectionEvent {
    /// A chunk of an incoming message (`CLIENT_RECEIVE`).
    case received(UnsafeRawBufferPointer)
    /// The socket takes data (`CLIENT_WRITEABLE`).
    case writeable
    /// A pong came (`CLIENT_RECEIVE_PONG`).
    case pong
    /// The connection's timer fired (`TIMER`).
    case timer
    /// TCP (and TLS) are up and the upgrade request is being written: room for our headers
    /// (`CLIENT_APPEND_HANDSHAKE_HEADER`).
    case appendingHeaders(HandshakeHeaderWriter?)
    /// The server's answer is parsed and about to be accepted (`CLIENT_FILTER_PRE_ESTABLISH`).
    case answerArrived
    /// The upgrade completed (`CLIENT_ESTABLISHED`).
    case established
    /// The attempt failed before the upgrade completed, with libwebsockets' words
    /// (`CLIENT_CONNECTION_ERROR`).
    case connectionError(detail: String?)
    /// The HTTP side of the connection closed (`CLOSED_CLIENT_HTTP`).
    case httpClosed
    /// OpenSSL is verifying the server's certificate: the session, and why verification
    /// failed, if it did (`OPENSSL_PERFORM_SERVER_CERT_VERIFICATION`).
    case verifyingServerCertificate(ssl: OpaquePointer?, failure: String?)
    /// The server's close frame, its payload (`WS_PEER_INITIATED_CLOSE`).
    case peerInitiatedClose(UnsafeRawBufferPointer)
    /// libwebsockets is closing the connection (`WS_CLIENT_DROP_PROTOCOL` and `CLIENT_CLOSED`,
    /// in either order; the first only when a protocol was bound).
    case closing
    /// Whether to offer an extension (`CLIENT_CONFIRM_EXTENSION_SUPPORTED`).
    case confirmingExtension
    /// The extension's options may be set (`WS_EXT_DEFAULTS`).
    case extensionDefaults(ExtensionOptionsWriter)
    /// libwebsockets is freeing the connection: the last callback (`WSI_DESTROY`).
    case destroyed
    /// Any other callback: nothing to do but remember the handle.
    case other

    /// Reads one callback's arguments.
    @inline(__always)
    init(
        _ reason: lws_callback_reasons, wsi: WSI, user: UnsafeMutableRawPointer?, input: UnsafeMutableRawPointer?,
        length: Int
    ) {
        switch reason {
        case LWS_CALLBACK_CLIENT_RECEIVE:
            self = .received(UnsafeRawBufferPointer(start: input, count: input == nil ? 0 : length))
        case LWS_CALLBACK_CLIENT_WRITEABLE: self = .writeable
        case LWS_CALLBACK_CLIENT_RECEIVE_PONG: self = .pong
        case LWS_CALLBACK_TIMER: self = .timer
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
            self = .appendingHeaders(HandshakeHeaderWriter(wsi: wsi, cursor: input, space: length))
        case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH: self = .answerArrived
        case LWS_CALLBACK_CLIENT_ESTABLISHED: self = .established
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            self = .connectionError(detail: input.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) })
        case LWS_CALLBACK_CLOSED_CLIENT_HTTP: self = .httpClosed
        case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
            // `in` is the SSL, `user` the X509_STORE_CTX, `len` OpenSSL's preverify_ok.
            self = .verifyingServerCertificate(
                ssl: input.map(OpaquePointer.init) ?? wsi.ssl,
                failure: Self.verificationFailure(store: user, preverifyOK: length))
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            self = .peerInitiatedClose(UnsafeRawBufferPointer(start: input, count: input == nil ? 0 : length))
        case LWS_CALLBACK_WS_CLIENT_DROP_PROTOCOL, LWS_CALLBACK_CLIENT_CLOSED: self = .closing
        case LWS_CALLBACK_CLIENT_CONFIRM_EXTENSION_SUPPORTED: self = .confirmingExtension
        case LWS_CALLBACK_WS_EXT_DEFAULTS:
            self = .extensionDefaults(ExtensionOptionsWriter(buffer: input, capacity: length))
        case LWS_CALLBACK_WSI_DESTROY: self = .destroyed
        default: self = .other
        }
    }

    /// OpenSSL's reason for rejecting the server's certificate, in words; nil when it passed.
    private static func verificationFailure(store: UnsafeMutableRawPointer?, preverifyOK: Int) -> String? {
        guard preverifyOK == 0, let store else { return nil }
        let code = X509_STORE_CTX_get_error(OpaquePointer(store))
        guard let text = X509_verify_cert_error_string(Int(code)) else { return nil }
        return "certificate verification failed: \(String(cString: text)) (X509 error \(code))"
    }
}

/// Adds headers to the upgrade request in libwebsockets' buffer, during
/// `CLIENT_APPEND_HANDSHAKE_HEADER` only.
struct HandshakeHeaderWriter {
    private let wsi: WSI
    /// libwebsockets' write position, which each header advances.
    private let cursor: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>
    private let end: UnsafeMutablePointer<UInt8>

    /// Nil when the callback gave no buffer.
    init?(wsi: WSI, cursor input: UnsafeMutableRawPointer?, space: Int) {
        guard let input else { return nil }
        let cursor = input.assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self)
        guard let start = cursor.pointee else { return nil }
        self.wsi = wsi
        self.cursor = cursor
        self.end = start + space
    }

    /// Writes `name: value`; false when it does not fit (the request must then be abandoned).
    func append(name: String, value: String) -> Bool {
        let value = Array(value.utf8)
        let status = value.withUnsafeBufferPointer { buffer in
            lws_add_http_header_by_name(wsi.pointer, name + ":", buffer.baseAddress, Int32(buffer.count), cursor, end)
        }
        return status == 0
    }
}

/// Sets an extension's options in libwebsockets' buffer, during `WS_EXT_DEFAULTS` only.
struct ExtensionOptionsWriter {
    fileprivate let buffer: UnsafeMutableRawPointer?
    fileprivate let capacity: Int

    /// Writes `text` NUL-terminated, cut to the buffer's size.
    func write(_ text: String) {
        guard let buffer, capacity > 0 else { return }
        let bytes = Array(text.utf8.prefix(capacity - 1)) + [0]
        buffer.copyMemory(from: bytes, byteCount: bytes.count)
    }
}
