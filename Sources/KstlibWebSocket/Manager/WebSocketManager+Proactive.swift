// Proactive control: the application decides when a connection is cut and when it comes back.
import Foundation

extension WebSocketManager {
    /// Disconnects on purpose (a proactive disconnect: counted apart from reactive ones, never
    /// followed by an automatic reconnect). The stream carries on.
    ///
    /// - Parameters:
    ///   - reconnectAfter: reconnect after this delay; `.zero` rotates at once, without a gap when
    ///     ``WebSocketConfiguration/gaplessRotation`` is on. `nil` waits for
    ///     ``WebSocketConfiguration/shouldReconnect`` (when set) or for ``connect()`` /
    ///     ``scheduleReconnect(after:)``.
    ///   - reason: recorded in the statistics and passed to `onDisconnect`.
    public func requestDisconnect(reconnectAfter: Duration? = nil, reason: DisconnectReason = .userRequested) async {
        if reconnectAfter == .zero, configuration.gaplessRotation, await rotate(reason: reason) { return }
        let connection = core.withLock { core -> (any TransportConnection)? in
            guard core.state == .connected, let connection = core.connection else { return nil }
            core.pendingReason = reason
            if let reconnectAfter {
                core.proactivePlan = .reconnectAfter(reconnectAfter)
            } else {
                core.proactivePlan = configuration.shouldReconnect != nil ? .askShouldReconnect : .stayDisconnected
            }
            return connection
        }
        guard let connection else { return }
        connection.close(code: .normalClosure, reason: "proactive disconnect: \(reason)")
        if !(await waitFor({ $0 != .connected }, timeout: configuration.closeTimeout)) {
            connection.abort()
            _ = await waitFor({ $0 != .connected }, timeout: .seconds(5))
        }
    }

    /// Reconnects after `delay`. When connected, first disconnects (reason
    /// ``DisconnectReason/scheduled``); when disconnected, plans the reconnect.
    public func scheduleReconnect(after delay: Duration) async {
        switch state {
        case .connected:
            await requestDisconnect(reconnectAfter: delay, reason: .scheduled)
        case .disconnected:
            let proceed = core.withLock { !$0.isShutdown }
            if proceed { follow(.reconnectAfter(delay)) }
        default:
            break
        }
    }

    /// Waits until `decide` (by default ``WebSocketConfiguration/shouldReconnect``) opens a
    /// reconnect window, asking every ``WebSocketConfiguration/reconnectCheckInterval``.
    /// Returns `true` when the window is open (after the delay it asked for), `false` on timeout.
    public func waitForReconnectWindow(
        _ decide: (@Sendable () async -> ReconnectDecision)? = nil, timeout: Duration? = nil
    ) async -> Bool {
        let decide = decide ?? configuration.shouldReconnect ?? { .now }
        let interval = configuration.reconnectCheckInterval
        let clock = self.clock
        let wait: @Sendable () async throws -> Bool = {
            while true {
                switch await decide().choice {
                case .now: return true
                case .after(let delay):
                    try await clock.sleep(for: delay)
                    return true
                case .notYet:
                    try await clock.sleep(for: interval)
                }
            }
        }
        guard let timeout else { return (try? await wait()) ?? false }
        return (try? await withDeadline(timeout, clock: clock, timeoutError: { CancellationError() }, wait)) ?? false
    }

    /// Carries out what follows a proactive disconnect.
    func follow(_ plan: ProactivePlan) {
        let task: Task<Void, Never>?
        switch plan {
        case .stayDisconnected:
            task = nil
        case .reconnectAfter(let delay):
            task = self.task { [weak self] in
                guard let clock = self?.clock, (try? await clock.sleep(for: delay)) != nil else { return }
                self?.reconnectNow()
            }
        case .askShouldReconnect:
            task = self.task { [weak self] in
                guard let self, await waitForReconnectWindow(), !Task.isCancelled else { return }
                reconnectNow()
            }
        }
        core.withLock { core in
            core.pendingReconnect?.cancel()
            core.pendingReconnect = task
        }
    }

    /// Starts a planned reconnect if the manager is still waiting for one.
    private func reconnectNow() {
        let woken = core.withLock { core -> [CheckedContinuation<Bool, Never>]? in
            guard core.state == .disconnected, !core.isShutdown else { return nil }
            core.pendingReconnect = nil
            return Self.transition(&core, to: .reconnecting)
        }
        guard let woken else { return }
        woken.forEach { $0.resume(returning: true) }
        inbox.reopen()
        startReconnecting(waitFirst: false)
    }

    // MARK: Checks while connected

    /// Starts asking ``WebSocketConfiguration/shouldDisconnect`` every
    /// ``WebSocketConfiguration/disconnectCheckInterval`` and arms the connection-age rotation
    /// (``WebSocketConfiguration/maxConnectionAge`` minus ``WebSocketConfiguration/disconnectMargin``).
    func startProactiveChecks() {
        let config = configuration
        guard config.shouldDisconnect != nil || config.maxConnectionAge != nil else { return }
        let link = core.withLock { $0.link }
        guard let link else { return }
        let clock = self.clock
        let task = self.task { [weak self] in
            await withTaskGroup(of: Void.self) { group in
                if let shouldDisconnect = config.shouldDisconnect {
                    group.addTask {
                        while (try? await clock.sleep(for: config.disconnectCheckInterval)) != nil {
                            guard self?.isCurrent(link) == true else { return }
                            if await shouldDisconnect() {
                                self?.disconnectInBackground(
                                    reconnectAfter: nil, reason: .callbackTriggered, link: link)
                                return
                            }
                        }
                    }
                }
                if let age = config.maxConnectionAge {
                    group.addTask {
                        guard age > config.disconnectMargin else { return }
                        guard (try? await clock.sleep(for: age - config.disconnectMargin)) != nil,
                            self?.isCurrent(link) == true
                        else { return }
                        self?.disconnectInBackground(reconnectAfter: .zero, reason: .connectionLimit, link: link)
                    }
                }
            }
        }
        core.withLock { core in
            if core.link === link {
                core.proactiveChecks?.cancel()
                core.proactiveChecks = task
            } else {
                task.cancel()
            }
        }
    }

    private func isCurrent(_ link: ConnectionLink) -> Bool {
        core.withLock { $0.link === link && $0.state == .connected }
    }

    /// Disconnects from outside the checks' own task, which the disconnect cancels.
    private func disconnectInBackground(reconnectAfter: Duration?, reason: DisconnectReason, link: ConnectionLink) {
        task { [weak self] in
            // A pool's shard waits until going down leaves another shard up.
            await self?.configuration.shardHooks?.beforeProactiveDisconnect()
            guard let self, isCurrent(link) else { return }
            await requestDisconnect(reconnectAfter: reconnectAfter, reason: reason)
        }
    }
}
