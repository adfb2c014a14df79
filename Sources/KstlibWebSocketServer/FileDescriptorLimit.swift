// FileDescriptorLimit: makes room for thousands of sockets before a context is created.
//
// libwebsockets sizes its fd lookup table from the soft RLIMIT_NOFILE (sysconf(_SC_OPEN_MAX)) at
// lws_create_context, and refuses any socket whose number is beyond it ("Socket fd ... is too
// high"). Setting fd_limit_per_thread *below* that limit switches lws to a linear scan of the
// table for every event, so the server adjusts the soft limit first and then passes it as is.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

enum FileDescriptorLimit {
    /// Soft limit the server aims for: 1 Mi fds (an 8 MiB lookup table in lws) is plenty for
    /// benchmarks with tens of thousands of sockets in one process.
    static let target: rlim_t = 1 << 20
    /// lws 4.1 calls a limit above this "unreasonable" and sizes its table for 2560 fds, then
    /// refuses every socket numbered beyond that.
    static let lwsMaximum: rlim_t = 10_000_000

    /// Moves the process's soft RLIMIT_NOFILE to min(hard limit, `target`): up when lower, down
    /// when above what lws can handle. Returns the soft limit now in force. Process-wide, like
    /// the limit itself; affects every lws context created afterwards.
    @discardableResult
    static func raiseSoftLimit() -> Int {
        var limits = rlimit()
        guard getrlimit(resource, &limits) == 0 else { return 1024 }
        let wanted = min(limits.rlim_max, target)
        if limits.rlim_cur < wanted || limits.rlim_cur > lwsMaximum {
            var adjusted = limits
            adjusted.rlim_cur = wanted
            if setrlimit(resource, &adjusted) == 0 {
                limits = adjusted
            }
        }
        return Int(min(limits.rlim_cur, lwsMaximum))
    }

    #if canImport(Glibc)
        private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
        private static let resource = RLIMIT_NOFILE
    #endif
}
