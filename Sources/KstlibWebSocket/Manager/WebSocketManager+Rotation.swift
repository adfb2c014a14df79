// Gapless rotation: open and subscribe the new connection before closing the old one.
import Foundation

extension WebSocketManager {
    /// Replaces the current connection without a gap: opens the new one beside it, re-sends
    /// the subscriptions there, merges the two streams until they overlap (see
    /// ``RotationMerger``), then closes the old one. Returns `false` when the rotation could not
    /// start or the new connection failed; the caller then falls back to break-before-make.
    func rotate(reason: DisconnectReason) async -> Bool {
        guard let endpoint = try? validatedEndpoint() else { return false }
        let old = core.withLock { core in core.state == .connected ? core.link : nil }
        guard let old,
            let merger = rotation.withLock({ state -> RotationMerger? in
                guard state.merger == nil else { return nil }
                let merger = RotationMerger(
                    old: old, messageKey: configuration.messageKey, alreadyDelivered: state.recent.messages)
                state.merger = merger
                return merger
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
        if !overlapped && !merger.isAbandoned {
            // On the loop thread, where both connections deliver: no message of either can be
            // handed over between the switch and the flush of what the new one held, and the
            // alert comes right before the messages after the switch, where a gap may be.
            await withTaskExecutorPreference(transport.executor) {
                let flushed = merger.forceSwitch()
                self.alert(.rotationForcedSwitch, "no common message within the overlap timeout; switched anyway")
                self.rotation.withLock { state in state.recent.append(contentsOf: flushed) }
                _ = self.deliver(flushed, while: { !merger.isAbandoned })
            }
        }
        let promotion = core.withLock { core -> Promotion in
            guard core.link === merger.old, core.state == .connected else { return .oldGone }
            // Checked under the lock its end takes too: a new connection that ended is never made
            // current (no end would ever come for it), and one made current gets its end handled.
            guard !merger.isAbandoned, let old = core.connection else { return .newGone }
            core.link = newLink
            newLink.promote()
            core.connection = newConnection
            core.connectedAt = time.now
            return .promoted(old: old)
        }
        let oldConnection: any TransportConnection
        switch promotion {
        case .promoted(let old):
            oldConnection = old
        case .oldGone:
            // Past the switch the new connection delivered what follows: the old one stays
            // frozen (closing, it may still read), or it would deliver that again.
            if merger.isSwitched { merger.old.retire() }
            endRotation(merger)
            // The old connection died meanwhile and the reactive path took over.
            newLink.retire()
            closeOrCut(newConnection, code: .goingAway, reason: "rotation abandoned")
            return true
        case .newGone:
            endRotation(merger)
            newLink.retire()
            alert(.rotationFallback, "the new connection of a gapless rotation ended before the switch; falling back")
            return false
        }
        merger.old.retire()
        merger.markPromoted()
        // The merger stays in the delivery path while the new connection catches up.
        if merger.isFinished { endRotation(merger) }
        closeOrCut(oldConnection, code: .normalClosure, reason: "rotated: \(reason)")
        statistics.withLock { $0.rotations += 1 }
        recordDisconnect(reason)
        recordConnect()
        startProactiveChecks()
        return true
    }

    /// What became of a rotation's connections while it waited for the overlap.
    private enum Promotion {
        case promoted(old: any TransportConnection)
        /// The old connection ended: the reactive path owns what follows.
        case oldGone
        /// The new connection ended before it could be made current.
        case newGone
    }

    func endRotation(_ merger: RotationMerger) {
        rotation.withLock { if $0.merger === merger { $0.merger = nil } }
    }

    /// One of a rotation's connections ended on its own: the rotation is abandoned. Once the new
    /// connection is current, the old one's end is the rotation's own doing (it closes it): the
    /// merger stays while the new connection catches up.
    func abandonRotation(ifInvolving link: ConnectionLink) {
        let merger = rotation.withLock { state -> RotationMerger? in
            guard let current = state.merger,
                (current.old === link && !current.isPromoted) || link.standby === current
            else { return nil }
            return current
        }
        guard let merger else { return }
        merger.abandon()
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
