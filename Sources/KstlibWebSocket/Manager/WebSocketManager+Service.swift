// The manager as a swift-service-lifecycle Service: connect, live, say goodbye with 1001.
public import ServiceLifecycle

extension WebSocketManager: Service {
    /// Connects, then keeps the manager alive until the service group shuts down.
    ///
    /// ```swift
    /// let feed = WebSocketManager(url: "wss://stream.example.com/ws")
    /// let group = ServiceGroup(services: [feed, app], gracefulShutdownSignals: [.sigterm], logger: logger)
    /// try await group.run()
    /// ```
    ///
    /// On graceful shutdown (SIGTERM, or a service before it ended) the connection is closed
    /// with 1001 (going away): the server learns the client is leaving, not failing. The closing
    /// handshake and the queued callbacks are waited for within
    /// ``WebSocketConfiguration/closeTimeout`` each, then the manager is shut down
    /// (``isShutdown``); the messages already received stay readable from ``stream()``.
    /// Cancelled instead (a fatal error elsewhere in the group), it cuts the connection without
    /// waiting. A shutdown while the first connection is still being attempted stops the
    /// attempts and returns. It also returns when the manager is closed by other means.
    ///
    /// - Throws: what ``connect()`` throws when the first connection cannot be made; the manager
    ///   is then closed and shut down.
    public func run() async throws {
        do {
            // A feed that is down may keep connect() retrying for minutes: shutdown must not wait.
            try await cancelWhenGracefulShutdown { [self] in try await connect() }
        } catch {
            // Failed, shut down or cancelled while connecting: the service is over either way.
            core.withLock { $0.isShutdown = true }
            forceClose()
            if Task.isShuttingDownGracefully { return }
            throw error
        }
        await cancelWhenGracefulShutdown { [self] in
            _ = await waitFor({ $0 == .closed }, timeout: nil)
        }
        core.withLock { $0.isShutdown = true }
        if Task.isCancelled {
            forceClose()
        } else {
            await close(code: .goingAway, reason: "service shutting down")
        }
    }
}
