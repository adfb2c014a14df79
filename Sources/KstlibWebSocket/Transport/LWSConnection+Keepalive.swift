// Our own keepalive: a ping every interval, a distinct timeout when the pong does not come.

extension LWSConnection {
    /// Arms the first keepalive tick. libwebsockets' own keepalive is off (zeroed idle policy),
    /// because it hangs up without a close frame or a reason we could report.
    func startKeepalive(wsi: WSI) {
        guard let interval = options.pingInterval, interval > .zero else { return }
        wsi.setTimer(after: interval)
    }

    /// The connection's timer fired: send the next ping, or give up on the last one.
    func keepaliveTick(wsi: WSI) {
        guard established, closeSent == nil, let interval = options.pingInterval else { return }
        // Reading paused for backpressure leaves pongs unread: a slow consumer is not a dead
        // network. The keepalive waits for reading to resume (whoever stalls the consumer gets
        // the full ping timeout once it catches up).
        if readingPaused {
            pingSentAt = nil
            wsi.setTimer(after: interval)
            return
        }
        let now = ContinuousClock.now
        if let sentAt = pingSentAt {
            let waited = now - sentAt
            if waited >= options.pingTimeout {
                pingTimedOut = true
                abortNow()
            } else {
                wsi.setTimer(after: options.pingTimeout - waited)
            }
            return
        }
        pingSentAt = now
        pingDue = true
        requestWritable()
        wsi.setTimer(after: min(interval, options.pingTimeout))
    }

    /// `CLIENT_RECEIVE_PONG`: the round trip is measured from our ping; unsolicited pongs are ignored.
    func receivedPong() {
        guard let sentAt = pingSentAt else { return }
        pingSentAt = nil
        sink.transportPong(roundTrip: ContinuousClock.now - sentAt)
        if let wsi, let interval = options.pingInterval {
            wsi.setTimer(after: interval)
        }
    }
}
