// Shrinks a failing schedule to the shortest list of steps that still fails.
import Foundation

/// Delta debugging, simplified: removes ever smaller runs of steps while the schedule still
/// fails the same way (the same invariant, numbers aside), so the short schedule explains the
/// failure that was found rather than another one.
enum ScheduleShrinker {
    /// The shortest failing steps found, and how they fail.
    static func shrink(_ schedule: SimulationSchedule, failure: SimulationFailure, budget: Int = 2000) async -> (
        [SimulationStep], SimulationFailure
    ) {
        var steps = schedule.steps
        var failure = failure
        // Steps after the failing one never matter.
        if failure.step > 0 { steps = Array(steps.prefix(failure.step)) }
        var runs = 0
        var chunk = max(1, steps.count / 2)
        while chunk >= 1 && runs < budget {
            var start = 0
            var removed = false
            while start < steps.count && runs < budget {
                var candidate = steps
                candidate.removeSubrange(start..<min(start + chunk, steps.count))
                runs += 1
                if let still = await Simulator(schedule, steps: candidate).run(), still.kind == failure.kind {
                    steps = still.step > 0 ? Array(candidate.prefix(still.step)) : candidate
                    failure = still
                    removed = true
                } else {
                    start += chunk
                }
            }
            if !removed { chunk /= 2 }
        }
        return (steps, failure)
    }
}

extension SimulationFailure {
    /// The broken invariant, numbers left out: "message # delivered after #: duplicated...".
    var kind: String {
        String(message.map { $0.isNumber ? "#" : $0 }).replacingOccurrences(of: "##", with: "#")
    }
}
