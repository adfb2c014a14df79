// MachineFacts: what a reader needs to know about the machine a run was made on.
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

struct MachineFacts {
    var cpuModel = "unknown"
    var onlineCPUs = 0
    var memoryGiB = 0.0
    var kernel = "unknown"

    /// The 1-minute load average: how many runnable processes competed for the CPUs lately.
    /// Anything well above zero means other work shared the machine with the benchmark.
    static func loadAverage() -> Double {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").first.flatMap { Double($0) } ?? 0
    }

    static func current() -> MachineFacts {
        var facts = MachineFacts()
        if let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
            let colon = line.firstIndex(of: ":")
        {
            facts.cpuModel = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        facts.onlineCPUs = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        facts.memoryGiB = Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30)
        var name = utsname()
        if uname(&name) == 0 {
            facts.kernel = withUnsafeBytes(of: name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return facts
    }
}
