// ServerConnection: the transport half of one websocket connection on the embedded server.
//
// It reassembles incoming fragments into whole messages, queues outgoing messages and writes
// them frame by frame when the socket is writeable, and performs closes and drops the way
// libwebsockets 4.1 needs them (close reason set in WRITEABLE, then close). What the
// connection *does* with messages is its ConnectionBehavior (EchoBehavior, TickerBehavior, ...).
// Everything here runs on the server's service thread, inside libwebsockets callbacks.

/// The per-endpoint half of a connection: reacts to opening, messages, timers and free send slots.
protocol ConnectionBehavior: AnyObject {
    /// The handshake completed.
    func didOpen(_ connection: ServerConnection)
    /// A complete message arrived. `message` is owned by the behavior from now on.
    func didReceive(_ message: PayloadBuffer, isBinary: Bool, on connection: ServerConnection)
    /// The send queue ran empty while the socket can take more: enqueue something and return
    /// true, or return false when there is nothing to produce right now.
    func refill(_ connection: ServerConnection) -> Bool
    /// The timer set with `ServerConnection.setTimer` fired.
    func timerFired(_ connection: ServerConnection)
    /// The connection is gone (closed, or the context is being destroyed); called once.
    /// Nothing may be sent on it any more.
    func didClose(_ connection: ServerConnection)
}

extension ConnectionBehavior {
    func didReceive(_ message: PayloadBuffer, isBinary: Bool, on connection: ServerConnection) {}
    func refill(_ connection: ServerConnection) -> Bool { false }
    func timerFired(_ connection: ServerConnection) {}
    func didClose(_ connection: ServerConnection) {}
}

/// One open websocket connection. Created when the handshake completes, forgotten when it closes.
final class ServerConnection {
    /// Frame size for echoed messages: small enough that one write rarely overflows the socket.
    static let echoFrameLimit = 16 << 10
    /// Messages larger than this are refused with 1009, so a client cannot exhaust memory.
    static let maxIncomingMessage = 256 << 20
    /// Stop reading from a client whose replies pile up beyond this many bytes...
    static let pauseReceiveAbove = 64 << 20
    /// ...and read again once the backlog is below this.
    static let resumeReceiveBelow = 16 << 20
    /// Frames written per WRITEABLE at most, so one busy connection cannot starve the others.
    static let framesPerWriteable = 64

    /// A close frame waiting for the next WRITEABLE.
    private struct PendingClose {
        let code: UInt16
        let reason: String
        /// Send the queued messages first (a normal end), or close as soon as possible.
        let afterQueued: Bool
    }

    let wsi: ServerWSI
    private let behavior: any ConnectionBehavior
    /// permessage-deflate was negotiated. lws's deflater may keep reading our buffer after
    /// the write returns and needs more WRITEABLEs to drain it; a second write in the same
    /// callback would be forced into a continuation frame. So with it: one frame per WRITEABLE.
    private let compressed: Bool

    private var incoming = PayloadBuffer()
    private var incomingIsBinary = false
    private var incomingTooLarge = false

    private var queue = OutgoingQueue()
    /// The message being written, possibly halfway through its frames.
    private var current: OutgoingMessage?
    /// The buffer of the last frame written, kept alive until the next WRITEABLE (see `compressed`).
    private var lastWritten: PayloadBuffer?
    private var pendingClose: PendingClose?
    /// A close frame was requested from lws, or a drop: nothing more is sent or delivered.
    private var isClosing = false
    private var receivePaused = false
    /// Messages whose last frame was written: what the client gets unless the TCP connection
    /// is cut under them.
    private(set) var messagesWritten = 0

    init(wsi: ServerWSI, behavior: any ConnectionBehavior, compressed: Bool) {
        self.wsi = wsi
        self.behavior = behavior
        self.compressed = compressed
    }

    // MARK: Events from the callback

    /// The handshake completed.
    func open() {
        behavior.didOpen(self)
    }

    /// One chunk of a message (a frame or part of one).
    @inline(__always)
    func receive(_ chunk: UnsafeRawBufferPointer, isFirst: Bool, isFinal: Bool, isBinary: Bool) {
        if isClosing { return }
        if isFirst {
            incomingIsBinary = isBinary
            incomingTooLarge = false
        }
        if incomingTooLarge {
            return
        }
        if incoming.count + chunk.count > Self.maxIncomingMessage {
            // Deferred to WRITEABLE: closing from RECEIVE with payload pending corrupts lws.
            incomingTooLarge = true
            incoming = PayloadBuffer()
            close(code: 1009, reason: "message too big", afterQueued: false)
            return
        }
        incoming.append(chunk)
        if isFinal {
            let message = incoming
            incoming = PayloadBuffer()
            behavior.didReceive(message, isBinary: incomingIsBinary, on: self)
        }
    }

    /// The connection is gone.
    func closed() {
        behavior.didClose(self)
    }

    /// The connection's timer fired.
    func timer() {
        if isClosing { return }
        behavior.timerFired(self)
    }

    /// The socket is writeable: closes if asked to, else writes frames while the socket takes
    /// them.
    func writeable() -> ServerEvent.Outcome {
        // Any permessage-deflate drain of the previous write is finished by now.
        lastWritten = nil
        if isClosing {
            // lws may call once more after the close was requested: write nothing.
            return .proceed
        }
        if let close = pendingClose, !close.afterQueued || (current == nil && queue.isEmpty) {
            isClosing = true
            var reason = Array(Self.utf8Prefix(close.reason, maxBytes: 123))
            wsi.setCloseReason(code: close.code, reason: &reason)
            return .close
        }

        var frames = 0
        var drained = false
        while true {
            if current == nil {
                current = queue.popFirst()
            }
            if current == nil, pendingClose == nil, behavior.refill(self) {
                current = queue.popFirst()
            }
            guard var message = current else {
                drained = true
                break
            }
            if frames > 0,
                compressed || frames >= Self.framesPerWriteable || wsi.isSendPipeChoked
            {
                break
            }
            guard writeFrame(of: &message) else { return .close }
            frames += 1
            if message.remaining == 0 { messagesWritten += 1 }
            current = message.remaining > 0 ? message : nil
        }

        if receivePaused, queuedBytes < Self.resumeReceiveBelow {
            receivePaused = false
            wsi.setReceiving(true)
        }
        if !drained || pendingClose != nil {
            requestWriteable()
        }
        return .proceed
    }

    // MARK: Actions for behaviors and server commands

    /// Queues a message; `buffer` must not change until it is sent. Ignored once a close is
    /// pending: nothing may follow the close frame.
    func send(_ buffer: PayloadBuffer, length: Int? = nil, isBinary: Bool, frameLimit: Int = echoFrameLimit) {
        if isClosing || pendingClose != nil { return }
        queue.append(OutgoingMessage(buffer: buffer, length: length, isBinary: isBinary, frameLimit: frameLimit))
        if !receivePaused, queuedBytes > Self.pauseReceiveAbove {
            receivePaused = true
            wsi.setReceiving(false)
        }
        requestWriteable()
    }

    /// Queues a text message.
    func send(text: String) {
        send(PayloadBuffer(text: text), isBinary: false)
    }

    /// Messages queued and not yet started.
    var queuedMessages: Int { queue.count }

    /// Messages not completely sent: the queued ones plus the one being written, if any.
    var pendingMessages: Int { queue.count + (current == nil ? 0 : 1) }

    /// Payload bytes waiting to be sent.
    var queuedBytes: Int { queue.pendingBytes + (current?.remaining ?? 0) }

    /// Sends a close frame with `code` and `reason` at the next WRITEABLE; after the queued
    /// messages when `afterQueued`, else right away (a message in progress is cut short).
    func close(code: UInt16, reason: String, afterQueued: Bool) {
        if isClosing { return }
        if let existing = pendingClose, !existing.afterQueued || afterQueued { return }
        pendingClose = PendingClose(code: code, reason: reason, afterQueued: afterQueued)
        requestWriteable()
    }

    /// Drops the TCP connection without a close frame, even if the socket is backed up: an
    /// immediate timeout closes the socket on the next service pass.
    func drop() {
        if isClosing { return }
        isClosing = true
        queue.removeAll()
        current = nil
        wsi.closeSocketSoon()
    }

    /// Arms (or re-arms) the connection's timer; `timer()` follows.
    func setTimer(microseconds: Int64) {
        wsi.setTimer(microseconds: microseconds)
    }

    /// Asks for a WRITEABLE callback (service thread only).
    @inline(__always)
    func requestWriteable() {
        wsi.requestWriteable()
    }

    // MARK: Writing

    /// Writes the next frame of `message`. Returns false if lws reports a fatal error.
    @inline(__always)
    private func writeFrame(of message: inout OutgoingMessage) -> Bool {
        if compressed, message.length == 0 {
            return writeUncompressedEmptyMessage(isBinary: message.isBinary)
        }
        let chunk = min(message.remaining, message.frameLimit)
        let isFirst = !message.isStarted
        let isLast = message.sent + chunk == message.length
        let start = message.buffer.payload + message.sent
        let headroom = PayloadBuffer.headroom
        // lws writes the frame header into the `headroom` bytes before `start`. For later
        // frames those bytes are payload already sent: save and restore them so the buffer
        // (possibly shared, as with /push) keeps its content.
        let written = withUnsafeTemporaryAllocation(byteCount: headroom, alignment: 1) { saved in
            if isFirst == false {
                saved.copyMemory(from: UnsafeRawBufferPointer(start: start - headroom, count: headroom))
            }
            let result = wsi.writeFrame(
                start, count: chunk, isFirst: isFirst, isFinal: isLast, isBinary: message.isBinary)
            if isFirst == false {
                (start - headroom).copyMemory(from: saved.baseAddress!, byteCount: headroom)
            }
            return result
        }
        if !written {
            return false
        }
        message.sent += chunk
        lastWritten = message.buffer
        return true
    }

    /// Sends an empty message as a raw, uncompressed frame (RSV1 clear, which RFC 7692 allows
    /// on a compressed connection). lws 4.1's permessage-deflate asserts, aborting the process,
    /// when asked to compress an empty message after any earlier message: zlib has nothing to
    /// flush and the 4-byte tail it expects to trim is missing. A raw write bypasses the
    /// websocket framing and extensions.
    private func writeUncompressedEmptyMessage(isBinary: Bool) -> Bool {
        let opcode: UInt8 = isBinary ? 0x2 : 0x1
        var frame: [UInt8] = [0x80 | opcode, 0x00] // FIN + opcode, unmasked, length 0
        return wsi.writeRaw(&frame)
    }

    /// The longest prefix of `text` that fits in `maxBytes` UTF-8 bytes without splitting a
    /// character (close reasons are limited to 123 bytes).
    static func utf8Prefix(_ text: String, maxBytes: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        for scalar in text.unicodeScalars {
            let encoded = Array(String(scalar).utf8)
            if bytes.count + encoded.count > maxBytes { break }
            bytes += encoded
        }
        return bytes
    }
}
