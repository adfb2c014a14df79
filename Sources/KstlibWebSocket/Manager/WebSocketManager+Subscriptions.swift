// Channels the application subscribed to, re-sent after every reconnect.

extension WebSocketManager {
    /// The channels currently subscribed, in subscription order.
    public var subscriptions: [String] { core.withLock { $0.subscriptions } }

    /// Subscribes to `channels` now (when connected) and after every reconnect.
    public func subscribe(_ channels: String...) async throws {
        try await subscribe(channels)
    }

    /// Subscribes to `channels` now (when connected) and after every reconnect.
    ///
    /// The requests are cut into batches of the format's
    /// ``SubscriptionFormat/maxTopicsPerMessage`` and sent like any `send`: in order, waiting
    /// for room and for ``WebSocketConfiguration/outgoingRate``.
    public func subscribe(_ channels: [String]) async throws {
        let (added, requestID, connected) = core.withLock { core -> ([String], Int, Bool) in
            let added = channels.filter { !core.subscriptions.contains($0) }
            core.subscriptions += added
            return (added, reserveRequestIDs(&core, channels: added.count), core.state == .connected)
        }
        guard connected, !added.isEmpty else { return }
        for text in configuration.subscriptionFormat.messages(for: .subscribe, channels: added, requestID: requestID) {
            try await send(text)
        }
    }

    /// Unsubscribes from `channels`; they are no longer re-sent after reconnects.
    public func unsubscribe(_ channels: String...) async throws {
        try await unsubscribe(channels)
    }

    /// Unsubscribes from `channels`; they are no longer re-sent after reconnects.
    public func unsubscribe(_ channels: [String]) async throws {
        let (removed, requestID, connected) = core.withLock { core -> ([String], Int, Bool) in
            let removed = channels.filter { core.subscriptions.contains($0) }
            core.subscriptions.removeAll { removed.contains($0) }
            return (removed, reserveRequestIDs(&core, channels: removed.count), core.state == .connected)
        }
        guard connected, !removed.isEmpty else { return }
        for text in configuration.subscriptionFormat.messages(
            for: .unsubscribe, channels: removed, requestID: requestID)
        { try await send(text) }
    }

    /// Reserves one request id per batch of `channels` channels; returns the first.
    private func reserveRequestIDs(_ core: inout Core, channels: Int) -> Int {
        let first = core.subscriptionRequestID + 1
        core.subscriptionRequestID += configuration.subscriptionFormat.requestCount(channels: channels)
        return first
    }

    /// Queues the whole set on `link`'s connection (a reconnect's, or a rotation's new one),
    /// ahead of any later `send`. The requests go through the connection's ``SendGate`` rather
    /// than straight to the socket, so the outgoing rate spreads a large set out, and they are
    /// detached: the event-loop thread that opened the connection never waits for the rate.
    func send(subscriptionsOn link: ConnectionLink) {
        let (channels, requestID) = core.withLock { core -> ([String], Int) in
            (core.subscriptions, reserveRequestIDs(&core, channels: core.subscriptions.count))
        }
        guard !channels.isEmpty else { return }
        let texts = configuration.subscriptionFormat.messages(for: .subscribe, channels: channels, requestID: requestID)
        link.gate.enqueueDetached(texts.map { OutgoingFrame.text($0) })
    }
}
