// Connecting, with retries, and adopting the connection the transport opened.
import Foundation

extension WebSocketManager {
    /// Connects, retrying like a reconnect when ``WebSocketConfiguration/autoReconnect`` is on.
    ///
    /// Also the way back after a proactive ``requestDisconnect(reconnectAfter:reason:)`` that did
    /// not schedule a reconnect: the stream carries on across it.
    ///
    /// - Throws: ``WebSocketConnectionError`` (bad URL, DNS, refused, TLS, HTTP status; after
    ///   every attempt), or ``WebSocketTimeoutError`` with operation `"connect"` when the last
    ///   attempt timed out.
    public func connect() async throws {
        let endpoint = try validatedEndpoint()
        if let invalid = HandshakeRequest.validate(configuration) {
            throw WebSocketConnectionError(
                "invalid handshake request: \(invalid.reason)", url: url, attempts: 0, lastError: invalid)
        }
        // Checked and moved to `connecting` under one lock: a close() in between would otherwise
        // have the manager leave `closed`.
        let woken = try core.withLock { core -> [CheckedContinuation<Bool, Never>]? in
            if core.isShutdown || core.state == .closed || core.state == .closing {
                throw WebSocketConnectionError("the manager is closed", url: url, attempts: 0)
            }
            if core.state == .connected { return nil }
            guard core.state == .disconnected else {
                throw WebSocketConnectionError("a connection attempt is already in progress", url: url, attempts: 0)
            }
            core.pendingReconnect?.cancel()
            core.pendingReconnect = nil
            return Self.transition(&core, to: .connecting)
        }
        guard let woken else { return }
        woken.forEach { $0.resume(returning: true) }
        inbox.reopen()
        let attempts = configuration.autoReconnect ? max(1, configuration.maxReconnectAttempts) : 1
        do {
            try await establish(endpoint, maxAttempts: attempts, reconnecting: false)
        } catch {
            let woken = core.withLock { core in
                core.state == .connecting ? Self.transition(&core, to: .disconnected) : []
            }
            woken.forEach { $0.resume(returning: true) }
            throw error
        }
    }

    func validatedEndpoint() throws -> WebSocketURL {
        switch endpoint {
        case .success(let endpoint): return endpoint
        case .failure(let failure):
            throw WebSocketConnectionError(
                "invalid WebSocket URL: \(failure.reason)", url: url, attempts: 0, lastError: failure)
        }
    }

    /// Makes up to `maxAttempts` attempts. A reconnect waits before every attempt
    /// (`reconnectDelay * 2^(n-1)` before attempt n with exponential backoff); an initial connect
    /// tries at once and waits only before its retries. A failure the
    /// ``WebSocketConfiguration/retryPolicy`` calls permanent ends the attempts at once.
    func establish(_ endpoint: WebSocketURL, maxAttempts: Int, reconnecting: Bool, waitFirst: Bool? = nil) async throws
    {
        var attempt = 0
        let waitsFirst = waitFirst ?? reconnecting
        var minimumDelay = Duration.zero
        while true {
            attempt += 1
            do {
                let wait = waitsFirst ? attempt : attempt - 1
                if wait > 0 { try await clock.sleep(for: max(minimumDelay, try await delay(beforeRetry: wait))) }
                try await attemptConnection(endpoint, replayable: true)
                afterConnect()
                return
            } catch let caught {
                let stillWanted = core.withLock { $0.state == .connecting || $0.state == .reconnecting }
                let decision = configuration.retryPolicy.decision(for: RejectedUpgrade.unwrapped(caught))
                let error =
                    stillWanted ? await reported(caught, retried: decision.retries) : RejectedUpgrade.unwrapped(caught)
                if !stillWanted || error is CancellationError || attempt >= maxAttempts || Task.isCancelled
                    || !decision.retries
                {
                    let failure = finalError(
                        error, attempts: attempt, reconnecting: reconnecting, stillWanted: stillWanted,
                        permanent: !decision.retries)
                    // Thrown to the caller, or ending the stream: theirs to judge, so only debug here.
                    logger.debug("connection attempts ended", metadata: ["url": "\(url)", "error": "\(failure)"])
                    throw failure
                }
                minimumDelay = decision.minimumDelay ?? .zero
                logger.debug(
                    "connection attempt failed, retrying",
                    metadata: [
                        "url": "\(url)", "attempt": "\(attempt)", "error": "\(error)", "decision": "\(decision)",
                    ])
            }
        }
    }

    /// How long to wait before retry number `retry` (1-based), as the strategy says; the
    /// callback-controlled strategy asks ``WebSocketConfiguration/shouldReconnect``.
    func delay(beforeRetry retry: Int) async throws -> Duration {
        let config = configuration
        if config.reconnectStrategy == .callbackControlled, let ask = config.shouldReconnect {
            while true {
                switch await ask().choice {
                case .now: return .zero
                case .after(let delay): return delay
                case .notYet: try await clock.sleep(for: config.reconnectCheckInterval)
                }
            }
        }
        return config.reconnectStrategy.delay(
            attempt: retry, base: config.reconnectDelay, maximum: config.maxReconnectDelay)
    }

    private func finalError(_ error: any Error, attempts: Int, reconnecting: Bool, stillWanted: Bool, permanent: Bool)
        -> any Error
    {
        if !stillWanted {
            return WebSocketConnectionError(
                "the manager was closed while connecting", url: url, attempts: attempts, lastError: error)
        }
        let why = permanent ? " (not retried: the failure is permanent)" : ""
        if reconnecting {
            let tries = attempts == 1 ? "1 attempt" : "\(attempts) attempts"
            return WebSocketReconnectError(
                "could not reconnect to \(url) after \(tries)\(why)", attempts: attempts, lastError: error)
        }
        if let timeout = error as? WebSocketTimeoutError { return timeout }
        return WebSocketConnectionError(
            "could not connect to \(url)\(why)", url: url, attempts: attempts, lastError: error)
    }

    /// One attempt: make the transport's connection, open it, wait for the upgrade, all within
    /// the timeout. A `standby` attempt (gapless rotation) opens beside the current connection
    /// instead of replacing it. A `replayable` attempt that is refused throws a ``RejectedUpgrade``.
    @discardableResult
    func attemptConnection(_ endpoint: WebSocketURL, standby: RotationMerger? = nil, replayable: Bool = false)
        async throws -> (ConnectionLink, any TransportConnection)
    {
        // The pool's connection window is waited for outside the connection timeout.
        try await configuration.shardHooks?.beforeConnect()
        let generation =
            standby != nil
            ? -1
            : core.withLock { core -> Int in
                core.generation += 1
                return core.generation
            }
        let link = ConnectionLink(manager: self, generation: generation, standby: standby)
        let config = configuration
        let transport = self.transport
        let timeout = config.connectionTimeout
        let request = TransportRequest(endpoint: endpoint, configuration: config, proxy: proxyServer(for: endpoint))
        // A refusal's replay shares the attempt's time: real time, since it is real I/O.
        let deadline = ContinuousClock.now + timeout
        if endpoint.secure && !config.tls.insecure.isEmpty {
            logger.warning(
                "TLS verification relaxed for this connection",
                metadata: ["url": "\(url)", "insecure": "\(config.tls.insecure)"])
        }
        let connection = try await withDeadline(
            timeout, clock: clock,
            timeoutError: {
                WebSocketTimeoutError("no connection within \(timeout)", operation: .connect, timeout: timeout)
            }
        ) {
            let connection = try await transport.makeConnection(request, sink: link)
            link.attach(connection)
            guard connection.open() else {
                // It never started, so it will never report an end that lets go of it.
                link.detach()
                throw WebSocketHandshakeFailure(kind: .unavailable, reason: "the event loop has stopped")
            }
            do {
                try await link.waitOpen()
            } catch let failure as WebSocketHandshakeFailure {
                if replayable && failure.kind == .httpStatus {
                    throw RejectedUpgrade(failure: failure, connection: connection, deadline: deadline)
                }
                throw try await connection.diagnose(failure, probeTimeout: min(timeout, .seconds(2)))
            }
            return connection
        }
        configuration.shardHooks?.connected()
        return (link, connection)
    }

    /// The HTTP proxy to go through for `endpoint`, if any.
    func proxyServer(for endpoint: WebSocketURL) -> (host: String, port: Int)? {
        switch configuration.proxy.kind {
        case .none: return nil
        case .http(let host, let port): return (host, port)
        case .environment:
            return ProxyEnvironment.proxy(for: endpoint, environment: ProcessInfo.processInfo.environment)
        }
    }

    /// Called on the event-loop thread when the upgrade succeeded: the connection becomes the
    /// manager's current one before any of its messages or its end can be reported.
    func adopt(
        _ link: ConnectionLink, connection: any TransportConnection, subprotocol: String?, compressed: Bool
    ) -> Bool {
        if let merger = link.standby {
            // A rotation's new connection stays beside the current one until the merge switches.
            return rotation.withLock { $0.merger === merger }
        }
        let (adopted, reconnected, woken) = core.withLock {
            core -> (Bool, Bool, [CheckedContinuation<Bool, Never>]) in
            guard link.generation == core.generation, core.state == .connecting || core.state == .reconnecting else {
                return (false, false, [])
            }
            let reconnected = core.state == .reconnecting
            core.connection = connection
            core.link = link
            core.subprotocol = subprotocol
            core.compressed = compressed
            core.connectedAt = time.now
            return (true, reconnected, Self.transition(&core, to: .connected))
        }
        if adopted {
            // The subscriptions are queued before onConnect is: whatever it sends goes after them.
            send(subscriptionsOn: link)
            recordConnect(reconnected: reconnected)
        }
        woken.forEach { $0.resume(returning: true) }
        return adopted
    }

    /// Counts a connect and queues `onConnect`, at the moment the connection became current
    /// (on the loop thread for a plain connect): its messages and its end are reported after
    /// this, so `onConnect` always comes before them.
    func recordConnect(reconnected: Bool = false) {
        statistics.withLock { stats in
            stats.connects += 1
            if reconnected { stats.reconnects += 1 }
            stats.lastConnectTime = time.date
        }
        metrics?.connects.increment()
        if let onConnect = configuration.onConnect { callbacks.run { try await onConnect() } }
    }

    /// Bookkeeping after a successful attempt, off the loop thread.
    func afterConnect() {
        logger.debug("connected", metadata: ["url": "\(url)"])
        startProactiveChecks()
    }
}
