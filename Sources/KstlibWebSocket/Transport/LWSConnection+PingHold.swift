// One pong for every ping, which libwebsockets 4.1 alone does not give.
internal import CLibWebSockets
internal import CLWSShim

/// libwebsockets 4.1's client parser answers a ping by stashing its payload and asking for
/// POLLOUT; a second ping parsed before that pong is written is dropped
/// (`"DROP PING since one pending"`). Pings that arrive together (Autobahn 2.10/2.11, or a
/// server that pings in bursts) would get one pong, and a server that matches pongs to pings
/// may count us dead.
///
/// So reading pauses right after each ping until its pong is out. libwebsockets checks flow
/// control before every byte it parses and keeps the rest of the read in its buffer list; it
/// writes a pending pong on POLLOUT before it calls our WRITEABLE, where reading resumes. It
/// gives no callback for a ping, so the connection is found on the same call stack:
/// - the C log hook notes the parser's `"received N byte ping"` line on this thread;
/// - the parser then asks for POLLOUT, and that poll change calls `GET_THREAD_ID` with the
///   wsi (our callback reports a thread id so that it does), which takes the note: hold;
/// - when POLLOUT was already armed there is no poll change; that happens as reading resumes
///   (libwebsockets re-arms POLLOUT while its buffer list is not empty), so resuming arms the
///   connection, and the log hook holds an armed connection directly. Any callback for another
///   connection disarms it first.
/// A hold always asks for WRITEABLE, so even a misattributed one lasts one loop pass, and a
/// ping missed by both paths is answered as libwebsockets alone would.
extension LWSConnection {
    /// The rx-flow reason bit for "a pong is pending" (libwebsockets ANDs all reasons; bit 0
    /// is its user boolean, which backpressure uses).
    private static let pongPendingReason = Int32(1 << 1)

    /// Installs the log hook's handler for pings of an armed connection (once per process).
    static func installPingHandler() {
        lwss_set_ping_handler { wsi in
            guard let wsi, let raw = lws_get_opaque_user_data(wsi) else { return }
            Unmanaged<LWSConnection>.fromOpaque(raw).takeUnretainedValue().holdForPong(wsi: wsi)
        }
    }

    /// A poll change on this connection's socket, called from `GET_THREAD_ID` (service thread).
    func pollChanged(wsi: OpaquePointer) {
        guard lwss_take_ping() != 0 else { return }
        holdForPong(wsi: wsi)
    }

    private func holdForPong(wsi: OpaquePointer) {
        guard established, !holdingForPong else { return }
        holdingForPong = true
        lws_rx_flow_control(wsi, Int32(LWS_RXFLOW_REASON_APPLIES) | Self.pongPendingReason)
        lws_callback_on_writable(wsi)
    }

    /// From WRITEABLE: libwebsockets writes a pending pong before it calls us, so it is out.
    func releasePongHold(wsi: OpaquePointer) {
        guard holdingForPong else { return }
        holdingForPong = false
        lws_rx_flow_control(wsi, Int32(LWS_RXFLOW_REASON_APPLIES_ENABLE) | Self.pongPendingReason)
        lwss_arm_ping(wsi)
    }
}
