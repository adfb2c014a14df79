// A refused upgrade, replayed when the configuration asks, so the failure keeps the whole answer.

/// A refused upgrade and what replaying it needs: thrown by a `replayable` attempt, caught by
/// the attempts loop, which decides (``RejectedUpgradeReplay``) and never lets it escape.
struct RejectedUpgrade: Error {
    let failure: WebSocketHandshakeFailure
    /// The attempt's connection, which knows how to send its request again.
    let connection: any TransportConnection
    /// The end of the attempt's ``WebSocketConfiguration/connectionTimeout``, which the replay shares.
    let deadline: ContinuousClock.Instant

    /// The failure itself for a refusal, `error` otherwise.
    static func unwrapped(_ error: any Error) -> any Error { (error as? RejectedUpgrade)?.failure ?? error }
}

extension WebSocketManager {
    /// The error to report for a failed attempt: a refusal with the replay's answer when
    /// ``WebSocketConfiguration/rejectedUpgradeReplay`` asks for it (`retried`: whether the
    /// retry policy retries the refusal), any other error as it is.
    func reported(_ error: any Error, retried: Bool) async -> any Error {
        guard let rejected = error as? RejectedUpgrade else { return error }
        guard configuration.rejectedUpgradeReplay.replays(retried: retried) else { return rejected.failure }
        let outcome = await rejected.connection.replayRefusedUpgrade(until: rejected.deadline)
        if case .failed(let why) = outcome {
            logger.debug("the refused upgrade could not be replayed", metadata: ["url": "\(url)", "why": "\(why)"])
        }
        return Self.merged(rejected.failure, outcome)
    }

    /// `failure` with the replay's answer: its body and the headers libwebsockets did not keep,
    /// when the replay got the same status; only the replay's status when it got another.
    static func merged(_ failure: WebSocketHandshakeFailure, _ outcome: UpgradeReplay.Outcome)
        -> WebSocketHandshakeFailure
    {
        guard case .answered(let answer) = outcome else { return failure }
        let same = answer.status == failure.httpStatus
        return WebSocketHandshakeFailure(
            kind: failure.kind, reason: failure.reason, httpStatus: failure.httpStatus,
            headers: same ? failure.headers.merging(answer.headers) { kept, _ in kept } : failure.headers,
            socketError: failure.socketError, detail: failure.detail, responseBody: same ? answer.body : nil,
            responseBodyTruncated: same && answer.truncated, replayedStatus: answer.status)
    }
}
