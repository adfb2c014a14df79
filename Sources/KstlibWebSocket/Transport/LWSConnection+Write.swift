// Writing queued frames when libwebsockets says the socket can take them.

extension LWSConnection {
    /// Largest frame we write at once; bigger messages go out as continuation frames, so one
    /// huge message never sits whole in libwebsockets' unbounded partial-write buffer.
    static let maxFramePayload = 32 * 1024

    /// Handles `CLIENT_WRITEABLE` (service thread). Returns -1 to close after a close reason.
    func writeable(wsi: WSI) -> Int32 {
        writeableArrived()
        let status = writeQueued(wsi: wsi)
        // A partial write stays in libwebsockets' buffer, and it sets POLLOUT to flush it.
        if wsi.hasPartialWrite { pongGuard.writableRequested = true }
        return status
    }

    private func writeQueued(wsi: WSI) -> Int32 {
        // The extra WRITEABLE that may follow our close: write nothing (a second -1 kills TCP).
        guard closeSent == nil else { return 0 }
        // By now libwebsockets has finished draining the compressor from the last buffer.
        retainedForDeflate = nil
        if let failing = failingClose {
            return sendClose(wsi: wsi, code: failing.code, reason: failing.reason)
        }
        if pingDue {
            pingDue = false
            var ping = OutgoingFrame(kind: .ping, payload: EmptyCollection())
            if wsi.write(&ping.storage, from: OutgoingFrame.headroom, count: 0, as: LWSWriteKind.ping) < 0 { return -1 }
        }
        takeOutbox()
        // WRITEABLE means the socket takes data and libwebsockets has flushed what it buffered:
        // the first frame goes out unasked. The choked check is a poll(2) of its own,
        // one syscall per message on a round trip, so it guards only the frames after it.
        var first = true
        while writeHead < writing.count {
            if !first && wsi.sendPipeChoked {
                requestWritable()
                return 0
            }
            first = false
            if case .close(let code, let reason) = writing[writeHead].kind {
                return sendClose(wsi: wsi, code: code, reason: reason)
            }
            if writeFragment(wsi: wsi, index: writeHead) < 0 { return -1 }
            let finished = writing[writeHead].written >= writing[writeHead].payloadCount
            if compressionActive {
                if finished {
                    retainedForDeflate = writing[writeHead]
                    writeHead += 1
                }
                requestWritable()
                return 0
            }
            if finished { writeHead += 1 }
        }
        writing.removeAll(keepingCapacity: true)
        writeHead = 0
        return 0
    }

    /// Writes the next fragment of the data frame at `index`, in place behind its headroom.
    private func writeFragment(wsi: WSI, index: Int) -> Int {
        let total = writing[index].payloadCount
        if total == 0 && compressionActive {
            return writeEmptyUncompressed(wsi: wsi, text: writing[index].kind == .text)
        }
        let offset = writing[index].written
        let count = min(total - offset, Self.maxFramePayload)
        let kind = LWSWriteKind.fragment(
            text: writing[index].kind == .text, first: offset == 0, last: offset + count == total)
        // The bytes before `offset` are already on the wire, so libwebsockets may reuse them as
        // headroom for this fragment's header.
        let status = Int(
            wsi.write(&writing[index].storage, from: OutgoingFrame.headroom + offset, count: count, as: kind))
        writing[index].written = offset + count
        return status
    }

    /// An empty message on a deflate connection goes out as a plain, uncompressed frame (RSV1
    /// clear, which RFC 7692 allows): libwebsockets 4.1 aborts the process on an empty
    /// compressed write after an earlier message (its deflate flush has no 4-byte tail to trim).
    private func writeEmptyUncompressed(wsi: WSI, text: Bool) -> Int {
        let mask = UInt32.random(in: .min ... .max)
        var frame: [UInt8] = [
            text ? 0x81 : 0x82, 0x80, UInt8(truncatingIfNeeded: mask >> 24),
            UInt8(truncatingIfNeeded: mask >> 16), UInt8(truncatingIfNeeded: mask >> 8),
            UInt8(truncatingIfNeeded: mask),
        ]
        let status = Int(wsi.write(&frame, from: 0, count: frame.count, as: LWSWriteKind.http))
        writing[writeHead].written = 0
        return status
    }

    private func sendClose(wsi: WSI, code: WebSocketCloseCode, reason: String) -> Int32 {
        wsi.setCloseReason(code.rawValue, reason: Array(reason.utf8.prefix(123)))
        closeSent = (code, reason)
        writing = []
        writeHead = 0
        return -1
    }
}
