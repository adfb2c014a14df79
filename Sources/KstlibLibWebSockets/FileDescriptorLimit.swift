// Lets one process hold tens of thousands of sockets, and tells libwebsockets how many.
import Glibc

/// The process's `RLIMIT_NOFILE`, as libwebsockets needs it.
///
/// libwebsockets sizes its descriptor table from the soft limit when a context is created and
/// refuses any socket numbered beyond it. It indexes that table by descriptor only while
/// `fd_limit_per_thread` is at least the limit (below it, every event searches the table), and
/// it takes a limit above 10,000,000 for a misconfiguration and sizes the table for 2,560.
package enum FileDescriptorLimit {
    /// The soft limit aimed for: 2^20 descriptors (an 8 MiB table) is room for any benchmark.
    static let target: rlim_t = 1 << 20
    /// The largest limit libwebsockets uses as it is.
    static let libWebSocketsMaximum: rlim_t = 10_000_000

    /// Moves the soft limit to min(hard limit, 2^20) when it is lower than that or too high for
    /// libwebsockets. Process-wide, like the limit itself: contexts created afterwards see it.
    package static func adjustSoftLimit() {
        var limits = rlimit()
        guard getrlimit(resource, &limits) == 0 else { return }
        let wanted = min(limits.rlim_max, target)
        guard limits.rlim_cur < wanted || limits.rlim_cur > libWebSocketsMaximum else { return }
        limits.rlim_cur = wanted
        _ = setrlimit(resource, &limits)
    }

    /// `fd_limit_per_thread` for a context with one service thread: the soft limit, so the table
    /// is indexed by descriptor; 0 (libwebsockets' own sizing) when it is not usable as is.
    package static var tableSize: UInt32 {
        var limits = rlimit()
        guard getrlimit(resource, &limits) == 0, limits.rlim_cur <= libWebSocketsMaximum else { return 0 }
        return UInt32(limits.rlim_cur)
    }

    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
}
