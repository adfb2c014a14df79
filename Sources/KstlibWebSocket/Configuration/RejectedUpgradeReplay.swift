// Whether a refused upgrade is asked again, to read the body libwebsockets does not keep.

/// When the manager replays a refused upgrade to read the server's whole answer.
///
/// A server that refuses the upgrade (an HTTP 403 instead of 101) usually says why in the
/// body, and sometimes in headers of its own (`X-Reject-Reason`). libwebsockets keeps the
/// status and, before 4.3, only the headers it knows by name, and never the body. So the
/// manager can send the same request once more on a connection of its own and read everything:
/// the body (up to 64 KiB) lands in ``WebSocketHandshakeFailure/responseBody``, the headers
/// libwebsockets dropped in ``WebSocketHandshakeFailure/headers``.
///
/// The server sees the request twice, so by default (``whenPermanent``) this happens only when
/// the refusal ends the attempts: when ``WebSocketConfiguration/retryPolicy`` does not retry it
/// (with ``ConnectRetryPolicy/standard``: every 4xx but 408 and 429, and a redirect). That is at
/// most one extra request per failed ``WebSocketManager/connect()`` or reconnection, and never
/// one to a server answering 5xx, 408 or 429, which is overloaded or asks to wait. The replay
/// shares the attempt's ``WebSocketConfiguration/connectionTimeout``: attempt and replay end
/// within it together.
///
/// A struct over a private enum rather than a public enum, so a mode can be added without
/// breaking a `switch` in application code; compare with `==`.
public struct RejectedUpgradeReplay: Sendable, Hashable, CustomStringConvertible {
    enum Mode: String {
        case never, whenPermanent, always
    }

    let mode: Mode

    /// Never: a refusal keeps only what libwebsockets kept (no body).
    public static let never = RejectedUpgradeReplay(mode: .never)
    /// When the retry policy gives up on the refusal (the default).
    public static let whenPermanent = RejectedUpgradeReplay(mode: .whenPermanent)
    /// After every refused attempt, retried ones included: one extra request per attempt.
    public static let always = RejectedUpgradeReplay(mode: .always)

    /// `never`, `whenPermanent` or `always`.
    public var description: String { mode.rawValue }

    /// Whether a refusal the retry policy judged (`retried`) is replayed.
    func replays(retried: Bool) -> Bool {
        switch mode {
        case .never: return false
        case .whenPermanent: return !retried
        case .always: return true
        }
    }
}
