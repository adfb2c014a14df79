// Channels the application subscribed to, re-sent after every reconnect.

extension WebSocketManager {
    /// The channels currently subscribed, in subscription order.
    public var subscriptions: [String] { core.withLock { $0.subscriptions } }

    /// Subscribes to `channels` now (when connected) and after every reconnect.
    public func subscribe(_ channels: String...) async throws {
        try await subscribe(channels)
    }

    /// Subscribes to `channels` now (when connected) and after every reconnect.
    public func subscribe(_ channels: [String]) async throws {
        let (added, requestID, connected) = core.withLock { core -> ([String], Int, Bool) in
            let added = channels.filter { !core.subscriptions.contains($0) }
            core.subscriptions += added
            core.subscriptionRequestID += 1
            return (added, core.subscriptionRequestID, core.state == .connected)
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
            core.subscriptionRequestID += 1
            return (removed, core.subscriptionRequestID, core.state == .connected)
        }
        guard connected, !removed.isEmpty else { return }
        for text in configuration.subscriptionFormat.messages(
            for: .unsubscribe, channels: removed, requestID: requestID)
        { try await send(text) }
    }

    /// Sends the whole set on `connection` (a reconnect's, or a rotation's new one).
    func send(subscriptionsOn connection: LWSConnection) {
        let (channels, requestID) = core.withLock { core -> ([String], Int) in
            core.subscriptionRequestID += 1
            return (core.subscriptions, core.subscriptionRequestID)
        }
        guard !channels.isEmpty else { return }
        for text in configuration.subscriptionFormat.messages(for: .subscribe, channels: channels, requestID: requestID)
        {
            if connection.send(.text(text)) {
                statistics.withLock { stats in
                    stats.messagesSent += 1
                    stats.bytesSent += text.utf8.count
                }
            }
        }
    }
}
