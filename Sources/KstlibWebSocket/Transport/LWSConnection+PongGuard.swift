// One pong for every ping, which libwebsockets alone does not give, without reading its logs.
import Synchronization

/// Why reading pauses after a ping, and how the ping is seen.
///
/// libwebsockets (4.1 to 5.0, the same code) answers a ping by stashing its payload and asking
/// for POLLOUT; a second ping parsed before that pong is written is dropped. Pings that arrive
/// together (Autobahn 2.10/2.11, a server that pings in bursts) would get one pong, and a server
/// that matches pongs to pings may count us dead. So reading pauses after each ping until its
/// pong is out: libwebsockets checks flow control before each byte it parses and keeps the rest
/// of the read in its buffer list.
///
/// It gives no callback for a ping. What it does give is its `GET_THREAD_ID` callback whenever a
/// connection's poll events change; the parser's request for POLLOUT is such a change when
/// POLLOUT was clear. So the guard keeps POLLOUT clear while libwebsockets parses, and treats a
/// poll change it did not cause as "libwebsockets wants to write": a pong (or a close reply).
/// - Our own requests for WRITEABLE wait for the end of the service pass
///   (``LWSConnection/requestWritable()``) and are made inside ``LWSConnection/ownPollChange(_:)``.
/// - While a WRITEABLE we asked for is pending, POLLOUT is set and a change is not the parser's
///   (it is libwebsockets clearing POLLOUT before calling us): `writableRequested` skips it.
/// - A hold pauses reading and asks for WRITEABLE. libwebsockets writes the pong on the next
///   POLLOUT, and calls WRITEABLE on the one after; the hold is released at the end of that
///   pass, with a fresh WRITEABLE request, so the buffered rest is parsed in a pass where POLLOUT
///   is cleared before the parse.
/// A misread change costs one pass of paused reading. While the socket's send buffer is full,
/// POLLOUT stays set and pings are not seen; libwebsockets then answers one ping at a time, as
/// it would alone (no pong could go out meanwhile anyway).
///
/// Whether `GET_THREAD_ID` comes on poll changes is a libwebsockets behaviour, not a documented
/// promise, and it differs between versions: it is checked at start-up (``PongGuardCapability``).
struct PongGuardState {
    /// Inside one of our own calls that may change the poll events.
    var ownChange = false
    /// We asked for WRITEABLE and it has not come: POLLOUT is set.
    var writableRequested = false
    /// Reading is paused until the pong is out.
    var holding = false
    /// The hold ends at the end of this pass (the pong is out).
    var releaseQueued = false
    /// A WRITEABLE request waits for the end of the pass.
    var writableQueued = false
    /// On the loop's pass-end list.
    var onPassEndList = false
}

extension LWSConnection {
    /// Runs `body`, a call of ours that may change this connection's poll events.
    func ownPollChange(_ body: () -> Void) {
        pongGuard.ownChange = true
        defer { pongGuard.ownChange = false }
        body()
    }

    /// Asks libwebsockets for WRITEABLE now, as our own change.
    func requestWritableNow(wsi: WSI) {
        ownPollChange { wsi.requestWritable() }
        pongGuard.writableRequested = true
    }

    /// `GET_THREAD_ID`: this connection's poll events changed (service thread).
    func pollChanged(wsi: WSI) {
        if pongGuard.ownChange { return }
        guard options.guardsPongs, PongGuardCapability.isUsable, established, !pongGuard.writableRequested,
            !pongGuard.holding, closeSent == nil, failingClose == nil, !ended
        else { return }
        pongGuard.holding = true
        ownPollChange { wsi.pauseReading(.pongPending) }
        // The parser has just set POLLOUT: this request only records that it is set.
        requestWritableNow(wsi: wsi)
    }

    /// `CLIENT_WRITEABLE` came: POLLOUT is clear again, and a held pong is out.
    func writeableArrived() {
        pongGuard.writableRequested = false
        if pongGuard.holding && !pongGuard.releaseQueued {
            pongGuard.releaseQueued = true
            loop?.atPassEnd(self)
        }
    }

    /// The end of a service pass: releases a hold and makes deferred WRITEABLE requests.
    func servicePassEnded() {
        guard let wsi, !ended else {
            handReceived()
            pongGuard = PongGuardState()
            return
        }
        deliverTentativeMessage()
        handReceived()
        if pongGuard.releaseQueued {
            pongGuard.releaseQueued = false
            pongGuard.holding = false
            ownPollChange { wsi.resumeReading(.pongPending) }
            pongGuard.writableQueued = true
        }
        if pongGuard.writableQueued {
            pongGuard.writableQueued = false
            requestWritableNow(wsi: wsi)
        }
    }
}

/// Whether libwebsockets reports poll changes through `GET_THREAD_ID`, checked once per context
/// at start-up.
///
/// libwebsockets asks for the service thread's id once, at its first service pass, and only from
/// the first vhost's first protocol; it calls `GET_THREAD_ID` on later poll changes only if that
/// answer was nonzero. Up to 4.3 the first vhost is ours, so our callback answers and the guard
/// works. From 4.5 libwebsockets creates a "system" vhost first, whose protocol answers 0: no
/// poll change is ever reported (and its client parser no longer checks flow control between the
/// frames of one read, so a pause could not take effect anyway). The guard is then off, a notice
/// is logged once, and ``LibWebSocketsRuntime/pingReplies`` says `oneAtATime`.
enum PongGuardCapability {
    private static let state = Atomic<Int>(unknown)
    static let unknown = 0
    static let confirmed = 1
    static let absent = -1

    static var isUsable: Bool { state.load(ordering: .relaxed) == confirmed }

    static var verdict: Bool? { verdict(of: state.load(ordering: .relaxed)) }

    static func verdict(of value: Int) -> Bool? {
        value == confirmed ? true : value == absent ? false : nil
    }

    /// Our callback answered libwebsockets' service-thread query (`GET_THREAD_ID` on a fake wsi).
    static func answeredServiceThreadQuery() {
        state.store(confirmed, ordering: .relaxed)
    }

    /// The context's first service pass is over: the query, if it was ours, has come.
    static func firstPassEnded() {
        guard state.compareExchange(expected: unknown, desired: absent, ordering: .relaxed).exchanged else { return }
        LibWebSocketsRuntime.noticeDegraded(
            "libwebsockets \(LibWebSocketsRuntime.current.version) does not report poll changes to the client: "
                + "a ping that arrives while a pong is pending gets no pong of its own (RFC 6455 5.5.3 allows this)")
    }
}
