// Measurement: one client's repetitions of one case, reduced to medians, and its JSON line.
//
// Units: msgs_per_s messages per second; mb_per_s payload megabytes (10^6 bytes) per second;
// cpu_us_per_msg the client process's CPU time (user + system, all threads) per message, or per
// round trip for rtt: unlike wall-clock figures it does not depend on how fast a sleeping thread
// is woken, which on a small VM varies from run to run;
// *_us microseconds; *_ms milliseconds; rss_per_conn_kb = (VmRSS with all K open - VmRSS before) / K;
// heap_per_conn_kb = the same difference in malloc's live heap (mallinfo2), which leaves out what
// the allocator keeps from freed blocks; rss_peak_mb = VmHWM; for push against the C server,
// server_msgs_per_s = what it sent from its first write to its last (a slow client holds it back),
// server_capacity_msgs_per_s = what it sent per second of its CPU time (what it could send), and
// client_per_capacity = msgs_per_s / server_capacity_msgs_per_s. Every metric is the median of its per-repetition values.

/// One named value of a measurement.
struct Metric: Sendable {
    let name: String
    let value: Double
    let decimals: Int
}

struct Measurement: Sendable {
    let benchCase: BenchCase
    let client: ClientKind
    /// Repetitions that completed.
    let repetitions: Int
    /// Repetitions that failed or printed no report.
    let failedRepetitions: Int
    let metrics: [Metric]

    /// Reduces `reports` (nil for a run that printed none) to medians.
    init(_ benchCase: BenchCase, client: ClientKind, reports: [ClientReport?]) {
        self.benchCase = benchCase
        self.client = client
        let good = reports.compactMap { $0 }.filter(\.ok)
        repetitions = good.count
        failedRepetitions = reports.count - good.count
        metrics = good.isEmpty ? [] : Self.metrics(of: benchCase, good)
    }

    func value(_ name: String) -> Double? {
        metrics.first { $0.name == name }?.value
    }

    var jsonLine: String {
        var line = JSONLine()
        line.add("workload", benchCase.workload.rawValue)
        switch benchCase.workload {
        case .push:
            line.add("size", benchCase.size)
            line.add("server", benchCase.server.rawValue)
        case .pipe:
            line.add("size", benchCase.size)
            line.add("in_flight", benchCase.window)
        case .rtt:
            line.add("size", benchCase.size)
            line.add("cores", benchCase.layout == .separate ? "separate" : "one")
        case .conns:
            line.add("conns", benchCase.conns)
        }
        line.add("client", client.rawValue)
        for metric in metrics { line.add(metric.name, metric.value, decimals: metric.decimals) }
        if benchCase.workload != .conns { line.add("count", benchCase.count) }
        if failedRepetitions > 0 { line.add("failed_reps", failedRepetitions) }
        line.add("rep_median_of", repetitions)
        return line.text
    }

    /// The C push server's rates for the same repetitions, and how close the client came.
    private static func serverMetrics(_ reports: [ClientReport]) -> [Metric] {
        func rate(_ messages: Int?, _ seconds: Double?) -> Double { Double(messages ?? 0) / max(seconds ?? 0, 1e-9) }
        let sent = reports.map { rate($0.serverMessages, $0.serverSeconds) }
        let capacity = reports.map { rate($0.serverMessages, $0.serverCPUSeconds) }
        let ratio = reports.map { rate($0.messages, $0.seconds) / rate($0.serverMessages, $0.serverCPUSeconds) }
        return [
            Metric(name: "server_msgs_per_s", value: Statistics.median(sent), decimals: 0),
            Metric(name: "server_capacity_msgs_per_s", value: Statistics.median(capacity), decimals: 0),
            Metric(name: "client_per_capacity", value: Statistics.median(ratio), decimals: 3),
        ]
    }

    private static func metrics(of benchCase: BenchCase, _ reports: [ClientReport]) -> [Metric] {
        func median(_ name: String, decimals: Int, _ value: (ClientReport) -> Double) -> Metric {
            Metric(name: name, value: Statistics.median(reports.map(value)), decimals: decimals)
        }
        switch benchCase.workload {
        case .push, .pipe:
            let throughput = [
                median("msgs_per_s", decimals: 0) { Double($0.messages ?? 0) / max($0.seconds ?? 0, 1e-9) },
                median("mb_per_s", decimals: 1) { Double($0.bytes ?? 0) / 1e6 / max($0.seconds ?? 0, 1e-9) },
                median("cpu_us_per_msg", decimals: 2) { ($0.cpuSeconds ?? 0) * 1e6 / Double(max($0.messages ?? 1, 1)) },
            ]
            let withServer = reports.filter { $0.serverSeconds != nil && $0.serverCPUSeconds != nil }
            guard !withServer.isEmpty, withServer.count == reports.count else { return throughput }
            return throughput + serverMetrics(reports)
        case .rtt:
            return [
                median("p50_us", decimals: 1) { Statistics.percentile($0.samplesMicroseconds ?? [], 0.50) },
                median("p99_us", decimals: 1) { Statistics.percentile($0.samplesMicroseconds ?? [], 0.99) },
                median("mean_us", decimals: 1) { report in
                    let samples = report.samplesMicroseconds ?? []
                    return samples.reduce(0, +) / Double(max(samples.count, 1))
                },
                median("rtt_per_s", decimals: 0) { report in
                    let samples = report.samplesMicroseconds ?? []
                    return Double(samples.count) / max(samples.reduce(0, +) / 1e6, 1e-9)
                },
                median("cpu_us_per_msg", decimals: 2) { report in
                    (report.cpuSeconds ?? 0) * 1e6 / Double(max(report.samplesMicroseconds?.count ?? 1, 1))
                },
            ]
        case .conns:
            return [
                median("open_ms", decimals: 1) { ($0.openSeconds ?? 0) * 1000 },
                median("echo_ms", decimals: 1) { ($0.echoSeconds ?? 0) * 1000 },
                median("rss_per_conn_kb", decimals: 2) { report in
                    Double((report.rssOpenKB ?? 0) - (report.rssBaseKB ?? 0)) / Double(max(report.conns ?? 1, 1))
                },
                median("heap_per_conn_kb", decimals: 2) { report in
                    Double((report.heapOpenKB ?? 0) - (report.heapBaseKB ?? 0)) / Double(max(report.conns ?? 1, 1))
                },
                median("rss_base_mb", decimals: 1) { Double($0.rssBaseKB ?? 0) / 1024 },
                median("rss_peak_mb", decimals: 1) { Double($0.rssPeakKB ?? 0) / 1024 },
                median("threads", decimals: 0) { Double($0.threads ?? 0) },
                median("loop_threads", decimals: 0) { Double($0.loopThreads ?? 0) },
            ]
        }
    }
}
