// The manager's reading of its clock: durations and dates that move with the injected clock.
import Foundation

/// Time as the manager's clock tells it.
///
/// The clock is an `any Clock<Duration>`, whose instants cannot be stored without opening it,
/// so time is kept as the duration since the manager was created, and a date is that duration
/// after the wall-clock date of creation. Under a virtual clock every timestamp the manager
/// takes, statistics included, moves only when the test moves time.
struct ManagerTime: Sendable, Equatable {
    private let elapsed: @Sendable () -> Duration
    private let start: Date

    init(_ clock: any Clock<Duration>) {
        start = Date()
        elapsed = Self.stopwatch(clock)
    }

    private static func stopwatch<C: Clock<Duration>>(_ clock: C) -> @Sendable () -> Duration {
        let start = clock.now
        return { start.duration(to: clock.now) }
    }

    /// Time since the manager was created, on its clock.
    var now: Duration { elapsed() }

    /// The date now, on the manager's clock.
    var date: Date { start.addingTimeInterval(now.timeInterval) }

    /// Always equal: a statistics snapshot is what its figures are, not where it reads the time.
    static func == (lhs: ManagerTime, rhs: ManagerTime) -> Bool { true }
}
