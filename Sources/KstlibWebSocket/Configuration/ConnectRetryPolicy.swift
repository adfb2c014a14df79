// Which failed connection attempts are worth another try: a public, replaceable decision.

/// Decides, after a connection attempt failed, whether another attempt may succeed.
///
/// kstlib.websocket retries every failure up to `max_reconnect_attempts`, so a certificate that
/// fails verification or an HTTP 403 keeps ``WebSocketManager/connect()`` busy for minutes with
/// an answer that will not change. ``standard`` retries only what can pass (a refused port, a
/// timeout, a 503) and ends at once on the rest, with the real cause in
/// ``WebSocketConnectionError/lastError``. Supply your own to change the verdict, building on
/// ``standardDecision(for:)`` for the cases you do not care about:
///
/// ```swift
/// config.retryPolicy = ConnectRetryPolicy { error in
///     if (error as? WebSocketHandshakeFailure)?.httpStatus == 401 { return .retry } // token refresh
///     return ConnectRetryPolicy.standardDecision(for: error)
/// }
/// ```
///
/// The policy only says *whether*; *when* is the ``ReconnectStrategy``'s (a
/// ``Decision/retry(notBefore:)`` raises its delay, never lowers it), and
/// ``WebSocketConfiguration/maxReconnectAttempts`` still bounds the attempts. It applies to the
/// retries of ``WebSocketManager/connect()`` and to background reconnection alike.
public struct ConnectRetryPolicy: Sendable {
    private let decide: @Sendable (any Error) -> Decision

    /// A policy that asks `decide` about the error of every failed attempt (a
    /// ``WebSocketHandshakeFailure``, a ``WebSocketTimeoutError`` with operation `"connect"`,
    /// or an error of the resolver or the event loop).
    public init(_ decide: @escaping @Sendable (_ error: any Error) -> Decision) {
        self.decide = decide
    }

    /// The verdict on one failed attempt's error.
    public func decision(for error: any Error) -> Decision { decide(error) }

    /// Retries transient failures and ends at once on permanent ones; see ``standardDecision(for:)``.
    public static let standard = ConnectRetryPolicy(standardDecision(for:))

    /// kstlib.websocket's behaviour: every failure is retried until the attempts run out.
    public static let retryEverything = ConnectRetryPolicy { _ in .retry }

    /// What another attempt should do.
    ///
    /// A struct rather than an enum, so that new verdicts can be added without breaking a
    /// `switch` in application code.
    public struct Decision: Sendable, Equatable, CustomStringConvertible {
        /// The delay the next attempt must at least wait; `nil` to give up.
        public let minimumDelay: Duration?

        /// Try again, after the delay the ``ReconnectStrategy`` gives.
        public static let retry = Decision(minimumDelay: .zero)
        /// Stop: the failure is permanent and is thrown at once.
        public static let giveUp = Decision(minimumDelay: nil)
        /// Try again, but not before `delay` (a server's `Retry-After`), even when the
        /// strategy would go sooner.
        public static func retry(notBefore delay: Duration) -> Decision { Decision(minimumDelay: max(.zero, delay)) }

        /// Whether another attempt is allowed.
        public var retries: Bool { minimumDelay != nil }

        /// `retry`, `retry(notBefore: 7.0 seconds)` or `giveUp`.
        public var description: String {
            guard let minimumDelay else { return "giveUp" }
            return minimumDelay == .zero ? "retry" : "retry(notBefore: \(minimumDelay))"
        }
    }
}
