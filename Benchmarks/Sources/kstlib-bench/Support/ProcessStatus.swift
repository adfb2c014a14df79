// ProcessStatus: what /proc, getrusage and malloc say about this process: RSS, peak RSS, CPU time,
// live heap, threads, and how many of them run a libwebsockets service loop.
import CHeapProbe
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

struct ProcessStatus: Sendable {
    /// VmRSS in kB.
    var rssKB = 0
    /// VmHWM (peak RSS) in kB.
    var peakKB = 0
    var threads = 0

    /// Reads /proc/self/status.
    static func current() -> ProcessStatus {
        var status = ProcessStatus()
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return status }
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == ":" || $0 == " " || $0 == "\t" })
            guard parts.count >= 2, let value = Int(parts[1]) else { continue }
            switch parts[0] {
            case "VmRSS": status.rssKB = value
            case "VmHWM": status.peakKB = value
            case "Threads": status.threads = value
            default: break
            }
        }
        return status
    }

    /// CPU time (user + system, all threads) the process has used so far, in seconds.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return user + system
    }

    /// Bytes malloc has handed out and not taken back, all arenas and mmapped blocks included
    /// (mallinfo2: uordblks + hblkhd), in kB: the live heap, without what the allocator keeps
    /// from freed blocks (which RSS still counts).
    static func heapInUseKB() -> Int {
        heap_probe_bytes_in_use() / 1024
    }

    /// Threads running a libwebsockets service loop: those blocked in poll(2).
    ///
    /// libwebsockets 4.1 (without an event library) waits in poll; nothing else in a Swift
    /// process does (Dispatch waits in epoll_wait, the concurrency pool in futex). The loop's
    /// thread cannot be found by name: Foundation's `Thread.name` does not reach the OS thread
    /// name on Linux, so it carries its creator's. A loop busy at the moment of the reading is not
    /// in poll, so this reads `attempts` times, yielding the CPU in between, and returns the
    /// largest count seen (an observation of idle connections, not a synchronisation).
    static func threadsInPoll(attempts: Int = 100) -> Int {
        var most = 0
        for _ in 0..<attempts {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
            let polling = tasks.count { task in
                guard let text = try? String(contentsOfFile: "/proc/self/task/\(task)/syscall", encoding: .utf8),
                    let number = text.split(separator: " ").first.flatMap({ Int($0) })
                else { return false }
                return pollSyscalls.contains(number)
            }
            most = max(most, polling)
            sched_yield()
        }
        return most
    }

    #if arch(x86_64)
        /// poll and ppoll.
        private static let pollSyscalls: Set<Int> = [7, 271]
    #elseif arch(arm64)
        /// ppoll (arm64 has no poll).
        private static let pollSyscalls: Set<Int> = [73]
    #else
        private static let pollSyscalls: Set<Int> = []
    #endif
}
