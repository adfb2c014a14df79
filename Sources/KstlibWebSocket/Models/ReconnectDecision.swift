// What the application answers when asked whether to reconnect now.

/// What ``WebSocketConfiguration/shouldReconnect`` answers.
///
/// A struct over a private enum rather than a public enum, so a new answer can be added without
/// breaking a `switch` in application code: build one with ``now``, ``after(_:)`` or
/// ``notYet`` (or `true` / `false`), compare with `==`.
public struct ReconnectDecision: Sendable, Hashable, ExpressibleByBooleanLiteral, CustomStringConvertible {
    enum Choice: Hashable {
        case now
        case after(Duration)
        case notYet
    }

    let choice: Choice

    /// Reconnect now.
    public static let now = ReconnectDecision(choice: .now)
    /// Not yet: ask again after ``WebSocketConfiguration/reconnectCheckInterval``.
    public static let notYet = ReconnectDecision(choice: .notYet)
    /// Reconnect after `delay`.
    public static func after(_ delay: Duration) -> ReconnectDecision { ReconnectDecision(choice: .after(delay)) }

    init(choice: Choice) { self.choice = choice }

    /// `true` is ``now``, `false` is ``notYet``, as kstlib's `should_reconnect` returning a bool.
    public init(booleanLiteral value: Bool) { self.init(choice: value ? .now : .notYet) }

    /// The delay before reconnecting: zero for ``now``, `nil` for ``notYet``.
    public var delay: Duration? {
        switch choice {
        case .now: return .zero
        case .after(let delay): return delay
        case .notYet: return nil
        }
    }

    /// `now`, `after(2.0 seconds)` or `notYet`.
    public var description: String {
        switch choice {
        case .now: return "now"
        case .after(let delay): return "after(\(delay))"
        case .notYet: return "notYet"
        }
    }
}
