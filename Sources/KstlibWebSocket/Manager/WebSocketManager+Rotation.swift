// Gapless rotation: open and subscribe the new connection before closing the old one.
import Foundation

extension WebSocketManager {
    /// Replaces the current connection without a gap: opens the new one beside it, re-sends
    /// the subscriptions there, merges the two streams until they overlap (see
    /// ``RotationMerger``), then closes the old one. Returns `false` when the rotation could not
    /// start or the new connection failed; the caller then falls back to break-before-make.
    func rotate(reason: DisconnectReason) async -> Bool {
        guard let endpoint = try? validatedEndpoint() else { return false }
        let merger = core.withLock { core -> RotationMerger? in
            guard core.state == .connected, let link = core.link else { return nil }
            return RotationMerger(old: link, messageKey: configuration.messageKey)
        }
        guard let merger,
            rotation.withLock({ current in
                guard current == nil else { return false }
                current = merger
                return true
            })
        else { return false }

        let newLink: ConnectionLink
        let newConnection: any TransportConnection
        do {
            (newLink, newConnection) = try await attemptConnection(endpoint, standby: merger)
        } catch {
            endRotation(merger)
            alert(.rotationFallback, "gapless rotation failed to open the new connection; falling back", error: error)
            return false
        }
        send(subscriptionsOn: newLink)
        let overlapped =
            (try? await withDeadline(
                configuration.rotationOverlapTimeout, clock: clock, timeoutError: { CancellationError() }
            ) {
                await merger.waitForSwitch()
            }) ?? false
        if !overlapped {
            // On the loop thread, where both connections deliver: no message of either can be
            // handed over between the switch and the flush of what the new one held.
            await withTaskExecutorPreference(transport.executor) {
                for message in merger.forceSwitch() { _ = self.deliver(message) }
            }
            alert(.rotationForcedSwitch, "no common message within the overlap timeout; switched anyway")
        }
        let oldConnection = core.withLock { core -> (any TransportConnection)? in
            guard core.link === merger.old, core.state == .connected else { return nil }
            let old = core.connection
            core.link = newLink
            core.connection = newConnection
            core.connectedAt = time.now
            return old
        }
        guard let oldConnection else {
            endRotation(merger)
            // The old connection died meanwhile and the reactive path took over.
            newLink.retire()
            newConnection.close(code: .goingAway, reason: "rotation abandoned")
            return true
        }
        merger.old.retire()
        merger.markPromoted()
        // The merger stays in the delivery path while the new connection catches up.
        if merger.isFinished { endRotation(merger) }
        oldConnection.close(code: .normalClosure, reason: "rotated: \(reason)")
        statistics.withLock { $0.rotations += 1 }
        recordDisconnect(reason)
        recordConnect()
        startProactiveChecks()
        return true
    }

    func endRotation(_ merger: RotationMerger) {
        rotation.withLock { if $0 === merger { $0 = nil } }
    }

    /// One of a rotation's connections ended on its own: the rotation is abandoned.
    func abandonRotation(ifInvolving link: ConnectionLink) {
        let merger = rotation.withLock { current -> RotationMerger? in
            guard let current, current.old === link || link.standby === current else { return nil }
            return current
        }
        guard let merger else { return }
        _ = merger.forceSwitch()
        endRotation(merger)
    }

    /// Logs an alert and hands it to ``WebSocketConfiguration/onAlert``.
    func alert(
        _ kind: WebSocketAlert.Kind, _ message: String, droppedCount: Int? = nil, error: (any Error)? = nil
    ) {
        let alert = WebSocketAlert(
            kind: kind, message: message, url: url, droppedCount: droppedCount, underlyingError: error)
        logger.notice("\(message)", metadata: alert.context.mapValues { .string($0) })
        if let onAlert = configuration.onAlert { callbacks.run { try await onAlert(alert) } }
    }
}
