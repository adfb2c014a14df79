// ClientReport: the one JSON line a client process prints for one measured run. The Swift client
// (`kstlib-bench client`) and the C client (`c-baseline-client`) print the same fields, and the
// orchestrator reads both the same way.

/// What one client process measured. Throughput workloads fill `messages`, `bytes` and
/// `seconds`; `rtt` fills `samplesMicroseconds`; `conns` fills the connection and RSS fields.
struct ClientReport: Codable, Sendable {
    var client: String
    var workload: String
    var ok: Bool

    var messages: Int?
    var bytes: Int?
    /// From just before the connect call to the arrival of the last message.
    var seconds: Double?
    /// CPU time (user + system, every thread of the process) of the timed run (push, pipe, rtt).
    var cpuSeconds: Double?

    /// Every round trip, in order, in microseconds.
    var samplesMicroseconds: [Double]?

    var conns: Int?
    var opened: Int?
    var echoed: Int?
    var failed: Int?
    /// From just before the first connection was started until all were open.
    var openSeconds: Double?
    /// From then until every connection had its one echo back.
    var echoSeconds: Double?
    /// VmRSS after one warm-up connection came and went, before the K connections.
    var rssBaseKB: Int?
    /// VmRSS with all K connections open and idle.
    var rssOpenKB: Int?
    /// VmHWM: the process's peak RSS.
    var rssPeakKB: Int?
    /// malloc's live heap (mallinfo2) at the moments of `rssBaseKB` and `rssOpenKB`.
    var heapBaseKB: Int?
    var heapOpenKB: Int?
    /// Threads of the process with all K connections open.
    var threads: Int?
    /// Threads running a libwebsockets service loop.
    var loopThreads: Int?

    /// Filled by `run` from the C push server's line for this run (push only): messages it
    /// sent, from its first to its last write, and its CPU time over that span.
    var serverMessages: Int?
    var serverSeconds: Double?
    var serverCPUSeconds: Double?

    init(client: String, workload: String, ok: Bool) {
        self.client = client
        self.workload = workload
        self.ok = ok
    }

    enum CodingKeys: String, CodingKey {
        case client, workload, ok, messages, bytes, seconds, conns, opened, echoed, failed, threads
        case samplesMicroseconds = "samples_us"
        case cpuSeconds = "cpu_seconds"
        case openSeconds = "open_seconds"
        case echoSeconds = "echo_seconds"
        case rssBaseKB = "rss_base_kb"
        case rssOpenKB = "rss_open_kb"
        case rssPeakKB = "rss_peak_kb"
        case heapBaseKB = "heap_base_kb"
        case heapOpenKB = "heap_open_kb"
        case loopThreads = "loop_threads"
        case serverMessages = "server_messages"
        case serverSeconds = "server_seconds"
        case serverCPUSeconds = "server_cpu_seconds"
    }
}
