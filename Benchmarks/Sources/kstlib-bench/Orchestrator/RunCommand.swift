// RunCommand: `kstlib-bench run`, the benchmark. For each case it starts the embedded server in
// its own process (pinned to its core), runs the Swift client and the C baseline against it in
// alternation, each repetition a fresh client process pinned to the client core, and prints one
// JSON line per case and client (medians of the repetitions); at the end, the table of Swift/C
// ratios with the targets marked met or missed.
import ArgumentParser
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the benchmarks: Swift client vs C libwebsockets baseline against the embedded server.")

    @Flag(help: "A tenth of the messages, 3 repetitions, 1,000 connections only: a smoke run.")
    var quick = false

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
        guard connectWindow >= 0 else { throw ValidationError("--connect-window must be 0 or more") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() throws {
        let executables = try Executables.locate()
        let placement = CorePlacement(pin: !noPin)
        let repetitions = reps ?? (quick ? 3 : 5)
        let cases = BenchmarkPlan.cases(
            workloads: try selectedWorkloads(), connectionCounts: try connectionCounts(), connectWindow: connectWindow,
            quick: quick)
        let runner = ClientRunner(
            benchExecutable: executables.bench, baselineExecutable: executables.baseline, placement: placement,
            timeLimit: .seconds(timeout))

        warnIfBusy("before the run")
        printContext(placement: placement, repetitions: repetitions, executables: executables)
        var table = RatioTable()
        var incomplete = false
        for benchCase in cases {
            let (swift, c) = try measure(benchCase, repetitions: repetitions, runner: runner, executables: executables)
            emit(swift.jsonLine)
            emit(c.jsonLine)
            table.add(swift: swift, c: c)
            if swift.repetitions == 0 || c.repetitions == 0 { incomplete = true }
        }
        emit("")
        emit(table.text)
        emit(String(format: "\nload average (1 min) at the end: %.2f", MachineFacts.loadAverage()))
        warnIfBusy("at the end")
        if incomplete { throw ExitCode.failure }
    }

    /// Both clients on one case, against one server started for the case. The clients take
    /// turns, and which goes first alternates, so drift in the machine hits both alike.
    private func measure(
        _ benchCase: BenchCase, repetitions: Int, runner: ClientRunner, executables: Executables
    ) throws -> (swift: Measurement, c: Measurement) {
        let server = try ServerProcess(
            benchExecutable: executables.bench, placement: runner.placement,
            cpu: runner.placement.serverCPU(benchCase.layout))
        defer { server.stop() }
        let invocation = benchCase.invocation(port: server.port, compression: compression)
        var reports: [ClientKind: [ClientReport?]] = [.swift: [], .c: []]
        for repetition in 0..<repetitions {
            let order: [ClientKind] = repetition % 2 == 0 ? [.swift, .c] : [.c, .swift]
            for kind in order {
                let report = runner.run(kind, invocation)
                reports[kind]!.append(report)
                progress(
                    "\(benchCase.label): rep \(repetition + 1)/\(repetitions) \(kind): \(Self.summary(of: report))")
            }
        }
        return (
            Measurement(benchCase, client: .swift, reports: reports[.swift]!),
            Measurement(benchCase, client: .c, reports: reports[.c]!)
        )
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
        guard let conns else { return quick ? [1000] : [1000, 10_000] }
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
