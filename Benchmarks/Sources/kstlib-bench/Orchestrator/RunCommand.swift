// RunCommand: `kstlib-bench run`, the benchmark. For each case it starts the server in its own
// process (pinned to its core): the C push server for push, the embedded server otherwise. It
// runs the Swift client (default executor, then event-loop executor) and the C baseline against it
// in turn, each repetition a fresh client process pinned to the client core, and prints one JSON
// line per case and client (medians of the repetitions); at the end, the table of Swift/C ratios
// with the targets marked met or missed, and the push clients' rates beside the server's.
import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the benchmarks: Swift client vs C libwebsockets baseline against the embedded server.")

    @Flag(help: "A tenth of the messages, 3 repetitions, 1,000 connections only.")
    var quick = false

    @Flag(help: "Checks that every case runs: a hundredth of the messages, 1 repetition, 10 connections.")
    var smoke = false

    @Option(help: "The push cases' server: c (c-push-server, reports its own rate) or swift (the embedded one).")
    var pushServer = "c"

    @Option(help: "Comma-separated workloads among push, pipe, rtt, conns.")
    var workloads = "push,pipe,rtt,conns"

    @Option(help: "Repetitions per case and client, reported as medians (default 5; 3 with --quick).")
    var reps: Int?

    @Option(help: "Comma-separated connection counts for `conns` (default 1000,10000; 1000 with --quick).")
    var conns: String?

    @Option(
        help: ArgumentHelp(
            "Connects in progress at most while `conns` opens its connections (both clients); 0 = all at once.",
            discussion: """
                libwebsockets 4.1 inserts each pending timeout into one sorted list by linear scan, so K \
                handshakes at once cost O(K^2); at 10,000 at once the C client's handshakes starve past \
                the server's 5 s handshake timeout.
                """))
    var connectWindow = 1000

    @Flag(help: "Offer permessage-deflate on every connection (both clients).")
    var compression = false

    @Flag(help: "Do not pin processes to cores.")
    var noPin = false

    @Option(help: "Seconds one client run may take before it is killed.")
    var timeout = 300

    func validate() throws {
        _ = try selectedWorkloads()
        _ = try connectionCounts()
        if let reps, reps < 1 { throw ValidationError("--reps must be at least 1") }
        guard ServerKind(rawValue: pushServer) != nil else { throw ValidationError("--push-server is c or swift") }
        if quick && smoke { throw ValidationError("--quick and --smoke are exclusive") }
        guard connectWindow >= 0 else { throw ValidationError("--connect-window must be 0 or more") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() throws {
        let executables = try Executables.locate()
        let placement = CorePlacement(pin: !noPin)
        let repetitions = reps ?? (smoke ? 1 : quick ? 3 : 5)
        let cases = BenchmarkPlan.cases(
            workloads: try selectedWorkloads(), connectionCounts: try connectionCounts(), connectWindow: connectWindow,
            size: runSize, pushServer: ServerKind(rawValue: pushServer)!)
        let runner = ClientRunner(
            benchExecutable: executables.bench, baselineExecutable: executables.baseline, placement: placement,
            timeLimit: .seconds(timeout))

        warnIfBusy("before the run")
        if workloads.contains("conns") { warnIfTooFewDescriptors(for: try connectionCounts().max() ?? 0) }
        printContext(placement: placement, repetitions: repetitions, executables: executables)
        var table = RatioTable()
        var serverTable = PushServerTable()
        var incomplete = false
        for benchCase in cases {
            let measurements = try measure(
                benchCase, repetitions: repetitions, runner: runner, executables: executables)
            for kind in ClientKind.allCases {
                emit(measurements[kind]!.jsonLine)
                serverTable.add(measurements[kind]!)
                if measurements[kind]!.repetitions == 0 { incomplete = true }
            }
            for kind in ClientKind.swiftKinds { table.add(swift: measurements[kind]!, c: measurements[.c]!) }
        }
        emit("")
        emit(table.text)
        if !serverTable.isEmpty {
            emit("")
            emit(serverTable.text)
        }
        emit(String(format: "\nload average (1 min) at the end: %.2f", MachineFacts.loadAverage()))
        warnIfBusy("at the end")
        if incomplete { throw ExitCode.failure }
    }

    private var runSize: RunSize { smoke ? .smoke : quick ? .quick : .full }

    /// Every client on one case, against one server started for the case. The clients take
    /// turns, and which goes first rotates, so drift in the machine hits them alike.
    private func measure(
        _ benchCase: BenchCase, repetitions: Int, runner: ClientRunner, executables: Executables
    ) throws -> [ClientKind: Measurement] {
        let server = try ServerProcess(
            benchCase.server, executables: executables, placement: runner.placement,
            cpu: runner.placement.serverCPU(benchCase.layout))
        defer { server.stop() }
        let invocation = benchCase.invocation(port: server.port, compression: compression)
        var reports: [ClientKind: [ClientReport?]] = [:]
        let kinds = ClientKind.allCases
        for repetition in 0..<repetitions {
            let first = repetition % kinds.count
            let order = Array(kinds[first...] + kinds[..<first])
            for kind in order {
                var report = runner.run(kind, invocation)
                if benchCase.workload == .push {
                    // The warm-up connection's report comes first; the timed run's is the last.
                    let serverReport = server.pushReports(connections: benchCase.warmup > 0 ? 2 : 1).last
                    report?.serverMessages = serverReport?.sent
                    report?.serverSeconds = serverReport?.seconds
                    report?.serverCPUSeconds = serverReport?.cpuSeconds
                }
                reports[kind, default: []].append(report)
                progress(
                    "\(benchCase.label): rep \(repetition + 1)/\(repetitions) \(kind.rawValue): \(Self.summary(of: report))"
                )
            }
        }
        return reports.reduce(into: [:]) { measurements, entry in
            measurements[entry.key] = Measurement(benchCase, client: entry.key, reports: entry.value)
        }
    }

    /// The run's context as a first JSON line: the machine, the library, the placement.
    private func printContext(placement: CorePlacement, repetitions: Int, executables: Executables) {
        let machine = MachineFacts.current()
        var line = JSONLine()
        line.add("meta", "machine")
        line.add("cpu", machine.cpuModel)
        line.add("cpus", machine.onlineCPUs)
        line.add("memory_gib", machine.memoryGiB, decimals: 1)
        line.add("kernel", machine.kernel)
        line.add("libwebsockets", executables.libwebsocketsVersion())
        line.add("pinning", placement.summary)
        line.add("compression", compression)
        line.add("connect_window", connectWindow)
        line.add("reps", repetitions)
        line.add("quick", quick)
        line.add("smoke", smoke)
        line.add("push_server", pushServer)
        line.add("loadavg_1m", MachineFacts.loadAverage(), decimals: 2)
        emit(line.text)
    }

    /// Warns (on stderr) when other processes kept the CPUs busy: the figures are then noisy.
    private func warnIfBusy(_ moment: String) {
        let load = MachineFacts.loadAverage()
        if load > Self.quietLoad {
            progress(
                String(
                    format: "warning: load average %.2f %@: other processes share the CPUs; figures are noisy", load,
                    moment))
        }
    }

    /// Each client and each server raises its soft descriptor limit to the hard one, which must
    /// hold K connections plus the process's own descriptors (`ulimit -Hn` to check).
    private func warnIfTooFewDescriptors(for conns: Int) {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        if limit.rlim_max != rlim_t.max, Int(limit.rlim_max) < conns + 100 {
            progress("warning: the hard descriptor limit (\(limit.rlim_max)) is too low for \(conns) connections")
        }
    }

    /// A 1-minute load average below this counts as a quiet machine (the benchmark's own
    /// client and server keep it near 1).
    private static let quietLoad = 1.5

    /// One line on stdout, written at once (results must not wait in a buffer during a long run).
    private func emit(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    private func progress(_ text: String) {
        FileHandle.standardError.write(Data("kstlib-bench: \(text)\n".utf8))
    }

    private static func summary(of report: ClientReport?) -> String {
        guard let report else { return "no report" }
        guard report.ok else { return "FAILED" }
        if let messages = report.messages, let seconds = report.seconds, seconds > 0 {
            return "\(Int(Double(messages) / seconds)) msgs/s"
        }
        if let samples = report.samplesMicroseconds {
            return String(format: "p50 %.1f µs", Statistics.percentile(samples, 0.5))
        }
        if let open = report.openSeconds, let conns = report.conns {
            let perConnection = Double((report.rssOpenKB ?? 0) - (report.rssBaseKB ?? 0)) / Double(max(conns, 1))
            return String(format: "open in %.3f s, %.1f KiB/conn", open, perConnection)
        }
        return "ok"
    }

    private func selectedWorkloads() throws -> Set<WorkloadName> {
        var selected = Set<WorkloadName>()
        for name in workloads.split(separator: ",") {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard let workload = WorkloadName(rawValue: trimmed) else {
                throw ValidationError("unknown workload '\(trimmed)' (push, pipe, rtt, conns)")
            }
            selected.insert(workload)
        }
        guard !selected.isEmpty else { throw ValidationError("--workloads is empty") }
        return selected
    }

    private func connectionCounts() throws -> [Int] {
        guard let conns else { return smoke ? [10] : quick ? [1000] : [1000, 10_000] }
        let counts = try conns.split(separator: ",").map { text -> Int in
            guard let count = Int(text.trimmingCharacters(in: .whitespaces)), count > 0 else {
                throw ValidationError("--conns takes positive counts, e.g. 1000,10000")
            }
            return count
        }
        guard !counts.isEmpty else { throw ValidationError("--conns is empty") }
        return counts
    }
}
