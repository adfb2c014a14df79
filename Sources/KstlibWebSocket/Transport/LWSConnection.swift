// One client connection as libwebsockets sees it: the transport's unit of work.
import Foundation
import Synchronization

/// One WebSocket client connection on an ``EventLoop``.
///
/// Other threads only queue frames (``send(_:)``), ask for a close, an abort or more reading;
/// everything else runs on the loop's service thread inside libwebsockets callbacks, and reports
/// to the ``TransportSink`` as plain events.
///
/// `@unchecked Sendable`: the properties outside `outbox` are touched only on the service thread
/// (by `start`, the `*Now` methods and `handle`, all called from there); `outbox` is the only
/// state shared with other threads and is behind a mutex.
final class LWSConnection: @unchecked Sendable {
    /// What the connection needs to know before it starts.
    struct Options: Sendable {
        var url: WebSocketURL
        /// A numeric address: names are resolved before libwebsockets sees them.
        var address: String
        var headers: [(name: String, value: String)] = []
        var subprotocols: [String] = []
        var origin: String?
        var maxMessageSize = 16 * 1024 * 1024
        var pingInterval: Duration?
        var pingTimeout: Duration = .seconds(10)
        var compression = WebSocketConfiguration.Compression()
        var vhost = VhostSettings.standard
        var insecure: TLSConfiguration.InsecureOptions = []
        /// Whether reading pauses after each ping until its pong is out (``PongGuard``); off
        /// only to show, in tests, what libwebsockets does alone.
        var guardsPongs = true
        /// The proxy as configured (name and port), to name it in a failure's diagnosis.
        var proxyName: (host: String, port: Int)?
    }

    private struct Outbox {
        var frames: [OutgoingFrame] = []
        /// A write request is already on its way to the loop.
        var scheduled = false
        var ended = false
        /// Payload bytes accepted by ``send(_:)`` so far, and how many of them were handed to
        /// libwebsockets: the difference is what waits in memory (send-side flow control).
        var acceptedBytes = 0
        var writtenBytes = 0
    }

    let options: Options
    let sink: any TransportSink
    /// The loop ``open()`` starts the connection on.
    let home: EventLoop?
    private let outbox = Mutex(Outbox())

    // MARK: Service-thread state
    var loop: EventLoop?
    var wsi: WSI?
    var established = false
    var ended = false
    var handshakeFailure: WebSocketHandshakeFailure?
    var tlsVerifyError: String?
    /// A fatal TLS alert the server sent before the upgrade completed, in words.
    var tlsAlert: String?
    var subprotocol: String?
    /// Frames taken from the outbox, written in order; `writeHead` is the next one.
    var writing: [OutgoingFrame] = []
    var writeHead = 0
    @exclusivity(unchecked) var closeSent: (code: WebSocketCloseCode, reason: String)?
    var peerClose: (code: WebSocketCloseCode, reason: String)?
    var violation: WebSocketProtocolError?
    /// A close we must send because of a violation we found ourselves (1007, 1009).
    @exclusivity(unchecked) var failingClose: (code: WebSocketCloseCode, reason: String)?
    var pingTimedOut = false
    var aborted = false
    var pingDue = false
    var pingSentAt: ContinuousClock.Instant?
    var readingPaused = false
    /// The pong guard's state (see LWSConnection+PongGuard.swift).
    var pongGuard = PongGuardState()
    /// `CLIENT_APPEND_HANDSHAKE_HEADER` came: TCP (and TLS) are up, the upgrade request is going out.
    var requestSent = false
    /// permessage-deflate was negotiated: libwebsockets may keep reading our buffer after
    /// a write returns (it drains the compressor on later POLLOUTs, before our next
    /// WRITEABLE), so only one data write per WRITEABLE and the buffer is kept until the next.
    var compressionActive = false
    var retainedForDeflate: OutgoingFrame?
    /// ``OutgoingFrame/acceptedThrough`` of the last frame taken from the outbox.
    var takenThrough = 0
    // The receive path's state: touched for every message, only on the service thread and
    // never through overlapping accesses, so the per-access exclusivity check is skipped.
    @exclusivity(unchecked) var rxBuffer: [UInt8] = []
    /// Whole messages of the current service pass, handed over at its end (``handReceived()``).
    @exclusivity(unchecked) var received: [WebSocketMessage] = []
    /// `rxBuffer` holds a compressed message libwebsockets called final (see `receive`).
    @exclusivity(unchecked) var rxTentativelyComplete = false
    @exclusivity(unchecked) var rxBinary = false
    @exclusivity(unchecked) var rxValidator = UTF8Validator()

    init(options: Options, sink: any TransportSink, home: EventLoop? = nil) {
        self.options = options
        self.sink = sink
        self.home = home
    }

    // MARK: Any thread

    /// Queues a frame. Returns `false` once the connection has ended.
    @discardableResult
    func send(_ frame: OutgoingFrame) -> Bool {
        enqueue(frame) != nil
    }

    /// Queues a frame; returns the bytes then waiting (``pendingBytes``), `nil` once ended.
    func enqueue(_ frame: OutgoingFrame) -> Int? {
        var frame = frame
        let (pending, mustSchedule) = outbox.withLock { box -> (Int?, Bool) in
            guard !box.ended else { return (nil, false) }
            box.acceptedBytes += frame.payloadCount
            frame.acceptedThrough = box.acceptedBytes
            box.frames.append(frame)
            defer { box.scheduled = true }
            return (box.acceptedBytes - box.writtenBytes, !box.scheduled)
        }
        if mustSchedule, let loop { loop.submit(.write(self)) }
        return pending
    }

    /// Payload bytes accepted and not yet handed to libwebsockets (queued or being written).
    var pendingBytes: Int { outbox.withLock { $0.ended ? 0 : $0.acceptedBytes - $0.writtenBytes } }

    /// Sends a close frame after everything already queued.
    @discardableResult
    func close(code: WebSocketCloseCode = .normalClosure, reason: String = "") -> Bool {
        send(.close(code, reason))
    }

    /// Cuts the TCP connection without a close frame (kill, connect timeout).
    func abort() { loop?.submit(.abort(self)) }

    /// Resumes reading after the sink asked for backpressure.
    func resumeReading() { loop?.submit(.resumeReading(self)) }

    /// Starts connecting on `loop`. Returns `false` when the loop has stopped.
    func open(on loop: EventLoop) -> Bool {
        self.loop = loop
        return loop.submit(.open(self))
    }

    // MARK: Service thread

    /// Hands the connection to libwebsockets; callbacks may run re-entrantly inside.
    func start(on loop: EventLoop, context: OpaquePointer) {
        let url = options.url
        let vhost: OpaquePointer
        switch loop.vhost(for: options.vhost, context: context) {
        case .success(let found): vhost = found
        case .failure(let failure):
            failToStart(failure)
            return
        }
        let request = ClientConnectRequest(
            address: options.address, port: url.port, path: url.pathAndQuery, host: url.hostHeader,
            origin: options.origin,
            subprotocols: options.subprotocols.isEmpty ? nil : options.subprotocols.joined(separator: ", "),
            secure: url.secure, insecure: options.insecure, compressionOffered: options.compression.enabled)
        // The handle holds the connection unretained: the loop's table holds it until WSI_DESTROY.
        loop.register(self)
        if !request.connect(self, loop: loop, context: context, vhost: vhost) && !ended {
            // No callback follows a refusal (fd table full, bad address).
            handshakeFailure =
                handshakeFailure
                ?? WebSocketHandshakeFailure(
                    kind: .unavailable, reason: "libwebsockets refused the connection (out of file descriptors?)")
            finish()
        }
    }

    /// Reports a connection that never reached libwebsockets.
    func failToStart(_ reason: String) {
        failToStart(WebSocketHandshakeFailure(kind: .unavailable, reason: reason))
    }

    func failToStart(_ failure: WebSocketHandshakeFailure) {
        handshakeFailure = failure
        finish()
    }

    /// Asks for WRITEABLE; from inside a service pass the request waits for the pass to end,
    /// so that libwebsockets parses with POLLOUT clear (see ``PongGuardState``).
    func requestWritable() {
        guard let wsi, established else { return }
        if let loop, loop.isInServicePass {
            if !pongGuard.writableQueued {
                pongGuard.writableQueued = true
                loop.atPassEnd(self)
            }
        } else {
            requestWritableNow(wsi: wsi)
        }
    }

    func abortNow() {
        aborted = true
        wsi?.kill()
    }

    func resumeNow() {
        guard readingPaused, let wsi else { return }
        readingPaused = false
        ownPollChange { wsi.resumeReading(.backpressure) }
        // libwebsockets asks for POLLOUT itself when it kept unread data: make that ours.
        requestWritableNow(wsi: wsi)
    }

    /// The loop is stopping: close politely where we can, cut the rest.
    func closeForShutdown() {
        if established && closeSent == nil {
            failingClose = failingClose ?? (.goingAway, "client shutting down")
            requestWritable()
        } else {
            abortNow()
        }
    }

    /// Reports the end exactly once and lets go of libwebsockets' pointer.
    func finish() {
        guard !ended else { return }
        handReceived()
        ended = true
        wsi?.detachConnection()
        wsi = nil
        outbox.withLock {
            $0.ended = true
            $0.frames = []
        }
        writing = []
        rxBuffer = []
        // Leave the loop's table first: whoever the end wakes sees the loop without us.
        loop?.unregister(self)
        let end = endReason()
        if case .handshakeFailed(let failure) = end, needsConnectProbe,
            failure.kind == .connectFailed || failure.kind == .proxy
        {
            let target = ConnectFailureProbe.target(of: options)
            DispatchQueue.global().async { [sink] in
                sink.transportEnded(.handshakeFailed(ConnectFailureProbe.resolve(failure, target: target)))
            }
            return
        }
        sink.transportEnded(end)
    }

    /// The TCP connect failed and only the probe can say why (see ``ConnectFailureProbe``).
    private var needsConnectProbe: Bool {
        !aborted && !requestSent && options.vhost.proxy == nil && handshakeFailure?.socketError == nil
            && (handshakeFailure == nil || handshakeFailure?.kind == .connectFailed || handshakeFailure?.kind == .proxy)
            && tlsAlert == nil && tlsVerifyError == nil
    }

    private func endReason() -> TransportEnd {
        guard established else {
            if aborted { return .aborted }
            if let tlsVerifyError, handshakeFailure?.kind != .httpStatus {
                return .handshakeFailed(WebSocketHandshakeFailure(kind: .tls, reason: tlsVerifyError))
            }
            if let tlsAlert, handshakeFailure?.kind != .httpStatus {
                return .handshakeFailed(
                    WebSocketHandshakeFailure(kind: .tls, reason: tlsAlert, detail: handshakeFailure?.detail))
            }
            if let handshakeFailure { return .handshakeFailed(handshakeFailure) }
            // Ended without a CONNECTION_ERROR: before the request went out, the TCP connect failed.
            return .handshakeFailed(
                requestSent
                    ? WebSocketHandshakeFailure(
                        kind: .badHandshake, reason: "the connection closed before the handshake completed")
                    : ConnectFailureProbe.pending(options: options, detail: nil))
        }
        if let violation { return .protocolViolation(violation) }
        if pingTimedOut { return .pingTimeout }
        if let peerClose { return .peerClosed(code: peerClose.code, reason: peerClose.reason) }
        if let closeSent { return .locallyClosed(code: closeSent.code, reason: closeSent.reason) }
        if aborted { return .aborted }
        return .dropped
    }

    /// After a WRITEABLE: records how far the writes got and tells the sink when it moved.
    /// O(1): the frame at `writeHead` knows the accepted count through its end.
    func noteWritten() {
        let written =
            writeHead < writing.count
            ? writing[writeHead].acceptedThrough - (writing[writeHead].payloadCount - writing[writeHead].written)
            : takenThrough
        let moved = outbox.withLock { box -> Bool in
            guard written > box.writtenBytes else { return false }
            box.writtenBytes = written
            return true
        }
        if moved { sink.transportDrained() }
    }

    /// Moves queued frames to the service thread's write list.
    func takeOutbox() {
        outbox.withLock { box in
            box.scheduled = false
            guard !box.frames.isEmpty else { return }
            takenThrough = box.frames[box.frames.count - 1].acceptedThrough
            if writeHead == writing.count {
                writing.removeAll(keepingCapacity: true)
                writeHead = 0
                swap(&writing, &box.frames)
            } else {
                writing.append(contentsOf: box.frames)
                box.frames.removeAll(keepingCapacity: true)
            }
        }
    }
}
