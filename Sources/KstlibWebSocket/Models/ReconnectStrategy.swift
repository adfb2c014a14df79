// How long to wait before each reconnection attempt.

/// How long to wait before each reconnection attempt.
public enum ReconnectStrategy: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Reconnect at once.
    case immediate
    /// Wait ``WebSocketConfiguration/reconnectDelay`` every time.
    case fixedDelay
    /// Wait `reconnectDelay * 2^(attempt-1)`, capped at ``WebSocketConfiguration/maxReconnectDelay``.
    case exponentialBackoff
    /// Ask ``WebSocketConfiguration/shouldReconnect`` before every attempt.
    case callbackControlled

    /// The delay before attempt number `attempt` (1-based) for non-callback strategies.
    ///
    /// Public so an application can show or test its backoff schedule:
    /// `.exponentialBackoff.delay(attempt: 3, base: .seconds(1), maximum: .seconds(60))` is 4 s.
    public func delay(attempt: Int, base: Duration, maximum: Duration) -> Duration {
        switch self {
        case .immediate, .callbackControlled:
            return .zero
        case .fixedDelay:
            return base
        case .exponentialBackoff:
            let exponent = max(0, min(attempt - 1, 62))
            var delay = base
            for _ in 0..<exponent {
                delay *= 2
                if delay >= maximum { return maximum }
            }
            return min(delay, maximum)
        }
    }

    /// The case name (`"fixedDelay"`); the configuration file spells it `fixed_delay`.
    public var description: String { rawValue }
}
