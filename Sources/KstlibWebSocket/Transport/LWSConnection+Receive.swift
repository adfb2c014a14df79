// Reassembly of incoming fragments into whole, validated messages.

extension LWSConnection {
    /// Handles one `CLIENT_RECEIVE` chunk (service thread).
    func receive(wsi: WSI, chunk: UnsafeRawBufferPointer) -> Int32 {
        // After we decided to fail the connection, the rest of the message is noise.
        guard failingClose == nil, closeSent == nil else { return 0 }
        let first = wsi.isFirstFragment
        let last = wsi.isFinalFragment
        if rxTentativelyComplete {
            if first {
                deliverTentativeMessage()
                guard failingClose == nil else { return 0 }
            } else {
                // More of the same message: libwebsockets' "final" was early.
                rxTentativelyComplete = false
            }
        }
        if first {
            rxBinary = wsi.frameIsBinary
            rxValidator.reset()
            rxBuffer = []
        }
        guard rxBuffer.count + chunk.count <= options.maxMessageSize else {
            return fail(
                .messageTooBig, "message larger than maxMessageSize (\(options.maxMessageSize) bytes)",
                reason: "message too big")
        }
        if !rxBinary {
            guard rxValidator.feed(chunk), !last || compressionActive || rxValidator.isComplete else {
                return fail(
                    .invalidFramePayloadData, "text message is not valid UTF-8", reason: "invalid UTF-8")
            }
        }
        if compressionActive && last {
            // libwebsockets 4.5's block parser calls every inflated piece of a frame's last read
            // "final"; only a new message or the end of the pass proves the message is whole.
            rxBuffer.append(contentsOf: chunk)
            rxTentativelyComplete = true
            loop?.atPassEnd(self)
            return 0
        }
        let message: WebSocketMessage
        if first && last {
            // The common case: the whole message in one callback, one copy.
            message = rxBinary ? .binary(Array(chunk)) : .text(String(decoding: chunk, as: UTF8.self))
        } else {
            if first, let remaining = Optional(wsi.remainingFramePayload), remaining > 0 {
                rxBuffer.reserveCapacity(min(chunk.count + remaining, options.maxMessageSize))
            }
            rxBuffer.append(contentsOf: chunk)
            guard last else { return 0 }
            message = rxBinary ? .binary(rxBuffer) : .text(String(decoding: rxBuffer, as: UTF8.self))
            rxBuffer = []
        }
        hand(message)
        return 0
    }

    /// Keeps a whole message for the hand-over at the end of the service pass, or sooner once
    /// a batch is full: one read can inflate into thousands of messages, and backpressure must
    /// still stop reading within a batch of the queue's limit.
    private func hand(_ message: WebSocketMessage) {
        if received.isEmpty { loop?.atPassEnd(self) }
        received.append(message)
        if received.count >= Self.handOverBatch { handReceived() }
    }

    /// The most messages held for one hand-over.
    static let handOverBatch = 64

    /// Gives the pass's messages to the sink, pausing reading when it asks for backpressure;
    /// before anything else is reported, so the sink sees events in the order they happened.
    func handReceived() {
        guard !received.isEmpty else { return }
        let batch = received
        received.removeAll(keepingCapacity: true)
        if !sink.transportReceived(batch) && !readingPaused, let wsi {
            readingPaused = true
            ownPollChange { wsi.pauseReading(.backpressure) }
        }
    }

    /// Delivers a compressed message held until it was proved whole (see ``receive``): at the
    /// next message, the end of the pass, or before the connection's close is reported.
    func deliverTentativeMessage() {
        guard rxTentativelyComplete else { return }
        rxTentativelyComplete = false
        guard rxBinary || rxValidator.isComplete else {
            _ = fail(.invalidFramePayloadData, "text message is not valid UTF-8", reason: "invalid UTF-8")
            return
        }
        let message: WebSocketMessage = rxBinary ? .binary(rxBuffer) : .text(String(decoding: rxBuffer, as: UTF8.self))
        rxBuffer = []
        hand(message)
    }

    /// Fails the connection for a violation we found: the close goes out from WRITEABLE, never
    /// from RECEIVE (returning -1 with a close reason there corrupts libwebsockets' rx buffer).
    private func fail(_ code: WebSocketCloseCode, _ what: String, reason: String) -> Int32 {
        violation = WebSocketProtocolError("the server sent an invalid message", protocolError: what, closeCode: code)
        failingClose = (code, reason)
        rxBuffer = []
        requestWritable()
        return 0
    }

    /// `WS_PEER_INITIATED_CLOSE`: checks what libwebsockets 4.1 lets through. A 1-byte payload
    /// (no room for a code) and a reason that is not UTF-8 must fail the connection (RFC 6455
    /// 5.5.1, 7.1.6); libwebsockets would echo them. Returning nonzero skips its echo, and our
    /// own close goes out directly, as for framing violations.
    func peerInitiatedClose(wsi: WSI, payload: UnsafeRawBufferPointer) -> Int32 {
        var violationFound: (WebSocketCloseCode, String)?
        if payload.count == 1 {
            violationFound = (.protocolError, "close frame with a 1-byte payload")
        } else if payload.count > 2 {
            var validator = UTF8Validator()
            if !validator.feed(UnsafeRawBufferPointer(rebasing: payload[2...])) || !validator.isComplete {
                violationFound = (.invalidFramePayloadData, "close reason is not valid UTF-8")
            }
        }
        guard let (code, what) = violationFound else {
            deliverTentativeMessage()
            peerClose = Self.parseClosePayload(payload)
            return 0
        }
        violation = WebSocketProtocolError(
            "the server sent an invalid close frame", protocolError: what, closeCode: code)
        wsi.writeRawClose(code.rawValue)
        return -1
    }
}
