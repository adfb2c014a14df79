// ServerEvent: the libwebsockets callback reasons the embedded server acts on, in Swift terms.

/// What libwebsockets reports to the server; `embeddedServerCallback` translates its callback
/// reasons (and their `in` / `len`) into these, and passes on every other reason.
enum ServerEvent {
    /// Another thread woke the service loop (EVENT_WAIT_CANCELLED); lws reports it on a fake
    /// connection.
    case wokenUp
    /// A websocket upgrade arrived and may be refused (FILTER_PROTOCOL_CONNECTION).
    case upgradeRequested
    /// The handshake completed (ESTABLISHED); the upgrade's headers are still readable.
    case established
    /// One chunk of a message: a frame or part of one (RECEIVE). `chunk` is valid during the
    /// call only.
    case received(_ chunk: UnsafeRawBufferPointer, isFirst: Bool, isFinal: Bool, isBinary: Bool)
    /// The socket can take more (SERVER_WRITEABLE).
    case writeable
    /// The connection's timer fired (TIMER).
    case timer
    /// The client sent a close frame, with its code if it had one (WS_PEER_INITIATED_CLOSE).
    case peerClosing(code: UInt16?)
    /// The connection is gone (CLOSED or WSI_DESTROY, whichever comes first).
    case closed

    /// The server's answer to an event.
    enum Outcome {
        case proceed
        /// Close the connection (for `upgradeRequested`: refuse the upgrade).
        case close
    }
}
