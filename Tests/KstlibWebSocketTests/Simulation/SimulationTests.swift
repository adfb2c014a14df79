// The seeded simulation: random schedules against the manager, shrunk when one fails.
import Foundation
import Testing
@testable import KstlibWebSocket

/// `make simulate SEED=… RUNS=…` runs this with `KSTLIB_SIMULATION_SEED` and
/// `KSTLIB_SIMULATION_RUNS`; `make test` runs a few schedules from seed 1.
///
/// Schedule `i` uses seed `SEED + i`, so any schedule can be replayed alone with `RUNS=1`.
/// A failing schedule is printed with its seed and shrunk to the shortest list of steps that
/// still fails. The run ends with `N passed, M failed`. (An illegal state transition stops the
/// process on the manager's precondition, before any shrinking: the seed of the schedule that
/// was running is printed before it starts, when `KSTLIB_SIMULATION_VERBOSE` is set.)
/// `KSTLIB_SIMULATION_TRACE` prints the shortest failing schedule's run step by step. Each seed
/// also drives a ``PoolSimulation``: the pool's assignment and staggering rules under random
/// subscribes, drops, reconnects and rotations.
@Suite(.timeLimit(.minutes(3))) struct SimulationTests {
    @Test func simulate() async {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["KSTLIB_SIMULATION_SEED"].flatMap(UInt64.init) ?? 1
        let runs = environment["KSTLIB_SIMULATION_RUNS"].flatMap(Int.init) ?? 25
        let verbose = environment["KSTLIB_SIMULATION_VERBOSE"] != nil
        let trace = environment["KSTLIB_SIMULATION_TRACE"] != nil
        var failed = 0
        for index in 0..<runs {
            let schedule = SimulationSchedule(seed: seed &+ UInt64(index))
            // The same seed drives the pool's shard assignment and staggering (pure value types).
            var pool = PoolSimulation(seed: schedule.seed)
            for _ in 0..<PoolSimulation.steps { pool.step() }
            if !pool.violations.isEmpty {
                failed += 1
                print(
                    "FAILED pool schedule seed \(schedule.seed): \(pool.violations.prefix(3).joined(separator: "; "))")
                print("replay: make simulate SEED=\(schedule.seed) RUNS=1")
                continue
            }
            if verbose { print("schedule seed \(schedule.seed): \(schedule.steps.count) steps") }
            guard let failure = await Simulator(schedule).run() else { continue }
            failed += 1
            let (steps, shortest) = await ScheduleShrinker.shrink(schedule, failure: failure)
            var shrunk = schedule
            shrunk.steps = steps
            print(
                """
                FAILED schedule seed \(schedule.seed) (\(schedule.steps.count) steps) \(failure)
                shortest schedule that fails (\(steps.count) steps) \(shortest):
                \(shrunk)
                replay: make simulate SEED=\(schedule.seed) RUNS=1 (KSTLIB_SIMULATION_TRACE=1 traces the shortest)
                """)
            if trace { _ = await Simulator(schedule, steps: steps).run(trace: true) }
        }
        print("\(runs - failed) passed, \(failed) failed")
        #expect(failed == 0, "\(failed) of \(runs) schedules failed from seed \(seed)")
    }
}
