// Disconnects, reconnects and the ways a manager ends.
import Foundation

extension WebSocketManager {
    /// What to do after a connection ended.
    private enum Aftermath {
        case ignore
        case reconnect
        case proactive(ProactivePlan)
        case finish(Inbox.Ending)
    }

    /// Called on the event-loop thread when the current connection is over.
    func connectionEnded(_ link: ConnectionLink, _ end: TransportEnd) {
        abandonRotation(ifInvolving: link)
        let autoReconnect = configuration.autoReconnect
        let (aftermath, reason, checks, woken) = core.withLock {
            core -> (Aftermath, DisconnectReason, Task<Void, Never>?, [CheckedContinuation<Bool, Never>]) in
            guard core.link === link else { return (.ignore, .networkError, nil, []) }
            core.connection = nil
            core.link = nil
            core.connectedAt = nil
            let checks = core.proactiveChecks
            core.proactiveChecks = nil
            let reason = core.pendingReason ?? Self.reason(for: end)
            let plan = core.proactivePlan
            core.pendingReason = nil
            core.proactivePlan = nil
            core.lastClose = WebSocketClose(end)
            let aftermath: Aftermath
            let next: ConnectionState
            switch core.state {
            case .closing:
                (aftermath, next) = (.finish(.finished), .closed)
            case .connected where plan != nil:
                (aftermath, next) = (.proactive(plan!), .disconnected)
            case .connected where reason.isReactive && autoReconnect && !core.isShutdown:
                (aftermath, next) = (.reconnect, .reconnecting)
            case .connected:
                (aftermath, next) = (
                    .finish(Self.ending(for: end, configuration: configuration)), .disconnected
                )
            default:
                return (.ignore, reason, checks, [])
            }
            // Counted and `onDisconnect` queued before anyone can see the new state: a waiter, or a
            // close() that finds the manager closed and stops the callback queue.
            recordDisconnect(reason)
            return (aftermath, reason, checks, Self.transition(&core, to: next))
        }
        checks?.cancel()
        if case .ignore = aftermath {
            woken.forEach { $0.resume(returning: true) }
            return
        }
        woken.forEach { $0.resume(returning: true) }
        logger.debug("disconnected", metadata: ["url": "\(url)", "reason": "\(reason)", "end": "\(end)"])
        switch aftermath {
        case .ignore: break
        case .reconnect: startReconnecting()
        case .proactive(let plan): follow(plan)
        case .finish(let ending): inbox.end(ending)
        }
    }

    static func reason(for end: TransportEnd) -> DisconnectReason {
        switch end {
        case .peerClosed: return .serverClosed
        case .locallyClosed: return .userRequested
        case .dropped, .handshakeFailed, .aborted: return .networkError
        case .protocolViolation: return .protocolError
        case .pingTimeout: return .pingTimeout
        }
    }

    /// How the stream ends when the connection is not re-established.
    static func ending(for end: TransportEnd, configuration: WebSocketConfiguration)
        -> Inbox.Ending
    {
        switch end {
        case .peerClosed(let code, let closeReason):
            return code.isNormal
                ? .finished
                : .failed(WebSocketClosedError("the server closed the connection", code: code, reason: closeReason))
        case .locallyClosed:
            return .finished
        case .protocolViolation(let error):
            return .failed(error)
        case .pingTimeout:
            return .failed(
                WebSocketTimeoutError(
                    "no pong within the ping timeout", operation: .ping, timeout: configuration.pingTimeout))
        case .dropped, .aborted, .handshakeFailed:
            return .failed(WebSocketClosedError("the connection dropped without a close frame", code: .abnormalClosure))
        }
    }

    func recordDisconnect(_ reason: DisconnectReason) {
        statistics.withLock { stats in
            stats.disconnects += 1
            if reason.isProactive { stats.proactiveDisconnects += 1 } else { stats.reactiveDisconnects += 1 }
            stats.lastDisconnectTime = time.date
        }
        metrics?.disconnected(reason)
        if let onDisconnect = configuration.onDisconnect { callbacks.run { try await onDisconnect(reason) } }
    }

    /// Reconnects in the background with the configured strategy; gives up with
    /// ``WebSocketReconnectError`` after ``WebSocketConfiguration/maxReconnectAttempts``.
    /// `waitFirst` is false for a reconnect the application scheduled: it already waited.
    func startReconnecting(waitFirst: Bool = true) {
        let task = task { [self] in
            do {
                let endpoint = try validatedEndpoint()
                try await establish(
                    endpoint, maxAttempts: max(1, configuration.maxReconnectAttempts), reconnecting: true,
                    waitFirst: waitFirst)
            } catch {
                let (stillOurs, woken) = core.withLock { core in
                    core.state == .reconnecting ? (true, Self.transition(&core, to: .disconnected)) : (false, [])
                }
                woken.forEach { $0.resume(returning: true) }
                // Otherwise close(), forceClose() or kill() stopped us and ended the stream its way.
                guard stillOurs else { return }
                let failure =
                    error as? WebSocketReconnectError
                    ?? WebSocketReconnectError("reconnection stopped", attempts: 0, lastError: error)
                if !(error is CancellationError) { inbox.end(.failed(failure)) }
            }
        }
        core.withLock { $0.reconnectTask = task }
    }

    // MARK: Ending on purpose

    /// Closes the connection with 1000 and waits (up to ``WebSocketConfiguration/closeTimeout``)
    /// for the server's answer. The stream ends normally once its queued messages are read.
    /// Closing is final: the manager moves to ``ConnectionState/closed``.
    ///
    /// When it returns, the callbacks of everything that happened before (`onMessage` of every
    /// message received, the `onDisconnect` of this close) have run, and none runs afterwards.
    /// Callbacks still running after another ``WebSocketConfiguration/closeTimeout`` are not
    /// waited for, and those not started by then are dropped.
    public func close() async { await close(code: .normalClosure) }

    /// Closes like ``close()``, with `code` and `reason` in the close frame: for example
    /// ``WebSocketCloseCode/goingAway`` (1001) when the process is shutting down.
    public func close(code: WebSocketCloseCode, reason: String = "") async {
        let (connection, link, task, woken) = core.withLock {
            core -> (
                (any TransportConnection)?, ConnectionLink?, Task<Void, Never>?, [CheckedContinuation<Bool, Never>]
            ) in
            let task = core.reconnectTask
            core.reconnectTask = nil
            Self.cancelPlans(&core)
            switch core.state {
            case .closed, .closing:
                return (core.connection, core.link, task, [])
            case .connected:
                return (core.connection, core.link, task, Self.transition(&core, to: .closing))
            case .disconnected, .connecting, .reconnecting:
                core.generation += 1 // any attempt in flight will not be adopted
                var woken = Self.transition(&core, to: .closing)
                woken += Self.transition(&core, to: .closed)
                return (nil, nil, task, woken)
            }
        }
        woken.forEach { $0.resume(returning: true) }
        task?.cancel()
        if let connection {
            connection.close(code: code, reason: reason)
            if !(await waitFor({ $0 == .closed }, timeout: configuration.closeTimeout)) {
                connection.abort()
                _ = await waitFor({ $0 == .closed }, timeout: .seconds(5))
            }
        }
        // A connection that outlived the waits above delivers nothing more.
        stopDelivering(link)
        inbox.end(.finished)
        await callbacks.finish(within: configuration.closeTimeout)
    }

    /// Cuts the connection at once, without a close handshake, and ends the manager.
    public func forceClose() {
        let (connection, task, woken) = core.withLock {
            core -> ((any TransportConnection)?, Task<Void, Never>?, [CheckedContinuation<Bool, Never>]) in
            let task = core.reconnectTask
            core.reconnectTask = nil
            Self.cancelPlans(&core)
            core.generation += 1
            let connection = core.connection
            // Messages the loop reads before the abort takes effect are no longer delivered.
            stopDelivering(core.link)
            core.connection = nil
            core.link = nil
            // Recorded before the closed state can be seen (see connectionEnded).
            if connection != nil { recordDisconnect(.userRequested) }
            return (connection, task, Self.transition(&core, to: .closed))
        }
        woken.forEach { $0.resume(returning: true) }
        task?.cancel()
        connection?.abort()
        inbox.end(.finished)
    }

    /// Closes a connection the manager has let go of (a rotation's old one, an attempt no longer
    /// wanted), and cuts it if it has not ended within ``WebSocketConfiguration/closeTimeout``:
    /// a server that never answers, or a network that takes nothing, must not keep it open.
    func closeOrCut(_ connection: any TransportConnection, code: WebSocketCloseCode, reason: String) {
        guard connection.close(code: code, reason: reason) else { return }
        let (clock, timeout) = (clock, configuration.closeTimeout)
        task {
            // Cutting a connection that has ended meanwhile does nothing.
            if (try? await clock.sleep(for: timeout)) != nil { connection.abort() }
        }
    }

    /// Cancels planned reconnects and the proactive checks (lock held).
    static func cancelPlans(_ core: inout Core) {
        core.pendingReconnect?.cancel()
        core.pendingReconnect = nil
        core.proactiveChecks?.cancel()
        core.proactiveChecks = nil
        core.proactivePlan = nil
    }

    /// Closes for good and marks the manager shut down, so supervisors do not restart it.
    public func shutdown() async {
        core.withLock { $0.isShutdown = true }
        await close()
    }

    /// Simulates the server dropping the connection, as kstlib's `kill()` does: at once, reason
    /// ``DisconnectReason/killed`` (reactive), and never followed by an automatic reconnect,
    /// whatever ``WebSocketConfiguration/autoReconnect`` says.
    ///
    /// When it returns the manager is ``ConnectionState/disconnected``, the disconnect is counted
    /// and `onDisconnect(.killed)` queued; the TCP connection is cut without a close frame and
    /// ``stream()`` ends, after the messages already queued, with ``WebSocketClosedError`` 1006.
    /// A reconnection under way is stopped. ``connect()`` starts again. Does nothing otherwise.
    public func kill() {
        let killed = core.withLock {
            core -> ((any TransportConnection)?, Task<Void, Never>?, [CheckedContinuation<Bool, Never>])? in
            guard core.state == .connected || core.state == .reconnecting else { return nil }
            let task = core.reconnectTask
            core.reconnectTask = nil
            Self.cancelPlans(&core)
            core.generation += 1 // an attempt in flight will not be adopted
            let connection = core.connection
            if connection != nil {
                // Its late messages and its end are no longer this manager's.
                stopDelivering(core.link)
                core.connection = nil
                core.link = nil
                core.connectedAt = nil
                core.lastClose = WebSocketClose(.aborted)
                // Recorded before the new state can be seen (see connectionEnded).
                recordDisconnect(.killed)
            }
            return (connection, task, Self.transition(&core, to: .disconnected))
        }
        // Nothing to kill: the stream, and a connect in progress, go on untouched.
        guard let (connection, task, woken) = killed else { return }
        woken.forEach { $0.resume(returning: true) }
        task?.cancel()
        connection?.abort()
        inbox.end(.failed(WebSocketClosedError("the connection was killed", code: .abnormalClosure)))
    }

    // MARK: Waiting for states

    /// Waits until connected; `false` if `timeout` passed first (or the manager closed).
    public func waitConnected(timeout: Duration? = nil) async -> Bool {
        await waitFor({ $0 == .connected || $0 == .closed }, timeout: timeout) && state == .connected
    }

    /// Waits until no connection is open (`disconnected` or `closed`); `false` on timeout.
    public func waitDisconnected(timeout: Duration? = nil) async -> Bool {
        await waitFor({ $0 == .disconnected || $0 == .closed }, timeout: timeout)
    }

    /// Waits until the state satisfies `predicate`; `false` when `timeout` passed first.
    func waitFor(_ predicate: @escaping @Sendable (ConnectionState) -> Bool, timeout: Duration?) async -> Bool {
        let id = core.withLock { core -> Int in
            core.nextWaiterID += 1
            return core.nextWaiterID
        }
        let wait: @Sendable () async -> Bool = { [self] in
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                    let immediate = core.withLock { core -> Bool? in
                        if predicate(core.state) { return true }
                        if Task.isCancelled { return false }
                        core.stateWaiters[id] = (predicate, continuation)
                        return nil
                    }
                    if let immediate { continuation.resume(returning: immediate) }
                }
            } onCancel: { [self] in
                let waiter = core.withLock { $0.stateWaiters.removeValue(forKey: id) }
                waiter?.continuation.resume(returning: false)
            }
        }
        guard let timeout else { return await wait() }
        return (try? await withDeadline(timeout, clock: clock, timeoutError: { CancellationError() }, wait)) ?? false
    }
}
