// CorePlacement: which CPU the clients and the server run on. Pinning goes through `taskset`
// (util-linux) in front of the child's command, so every thread a child ever creates inherits it.
import Foundation

struct CorePlacement: Sendable {
    /// CPUs this process may run on, in order.
    let allowedCPUs: [Int]
    /// The taskset program, when pinning is wanted and possible.
    let taskset: String?

    /// Reads our CPU affinity; `pin: false` (or no taskset) leaves the scheduler free.
    init(pin: Bool) {
        allowedCPUs = Self.allowedCPUs()
        taskset = pin && !allowedCPUs.isEmpty ? Self.findProgram("taskset") : nil
    }

    var isPinning: Bool { taskset != nil }

    /// Client and server on different cores is possible.
    var hasSeparateCores: Bool { allowedCPUs.count >= 2 }

    /// Every client runs here.
    var clientCPU: Int? { isPinning ? allowedCPUs.first : nil }

    /// The server's CPU for `layout`: the next core for separate cores (the client's when there
    /// is only one), the client's for a shared core.
    func serverCPU(_ layout: CoreLayout) -> Int? {
        guard isPinning else { return nil }
        switch layout {
        case .separate: return allowedCPUs.count >= 2 ? allowedCPUs[1] : allowedCPUs[0]
        case .shared: return allowedCPUs[0]
        }
    }

    /// `command` run on `cpu` (unchanged when not pinning).
    func pinned(_ command: [String], cpu: Int?) -> [String] {
        guard let taskset, let cpu else { return command }
        return [taskset, "-c", String(cpu)] + command
    }

    /// One line for people: where things run.
    var summary: String {
        guard isPinning else { return "not pinned (\(allowedCPUs.count) CPUs)" }
        return
            "client on CPU \(clientCPU!), server on CPU \(serverCPU(.separate)!) (one-core runs: both on CPU \(serverCPU(.shared)!))"
    }

    /// The CPUs in `Cpus_allowed_list` of /proc/self/status ("0-3,6"): our affinity mask.
    private static func allowedCPUs() -> [Int] {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") })
        else { return [] }
        let list = line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces)
        var cpus: [Int] = []
        for range in list.split(separator: ",") {
            let bounds = range.split(separator: "-").compactMap { Int($0) }
            if bounds.count == 1 { cpus.append(bounds[0]) }
            if bounds.count == 2, bounds[0] <= bounds[1] { cpus += Array(bounds[0]...bounds[1]) }
        }
        return cpus
    }

    private static func findProgram(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let directories = path.split(separator: ":").map(String.init) + ["/usr/bin", "/bin"]
        return directories.map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
    }
}
