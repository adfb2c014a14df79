// BenchmarkPlan: the cases a run measures, with their message counts for a full or a quick run.

/// Where the server runs relative to the client.
enum CoreLayout: String, Sendable {
    /// Client and server on different cores.
    case separate
    /// Both on one core.
    case shared
}

/// One thing to measure with both clients.
struct BenchCase: Sendable {
    var workload: WorkloadName
    var size: Int
    /// Messages (push, pipe) or round trips (rtt) in the timed run.
    var count = 0
    /// Untimed messages or round trips first, on a connection of their own.
    var warmup = 0
    var window = 64
    var conns = 0
    /// Connects in progress at most while opening `conns` connections; 0 for all at once.
    var connectWindow = 0
    var layout = CoreLayout.separate
    /// The C push server for push (unless `--push-server swift`), the embedded server otherwise.
    var server = ServerKind.swift

    /// A short name for people: "push 64 B", "rtt 64 B one core", "conns 10000".
    var label: String {
        switch workload {
        case .push, .pipe: return "\(workload.rawValue) \(Self.sizeLabel(size))"
        case .rtt: return "rtt \(Self.sizeLabel(size)) \(layout == .separate ? "two cores" : "one core")"
        case .conns: return "conns \(conns)"
        }
    }

    func invocation(port: Int, compression: Bool) -> ClientInvocation {
        ClientInvocation(
            workload: workload, port: port, count: max(count, 1), size: size, window: window,
            conns: max(conns, 1), connectWindow: connectWindow, warmup: warmup, compression: compression)
    }

    static func sizeLabel(_ size: Int) -> String {
        if size >= 1 << 20 && size % (1 << 20) == 0 { return "\(size >> 20) MiB" }
        return size >= 1024 && size % 1024 == 0 ? "\(size / 1024) KiB" : "\(size) B"
    }
}

/// How much of a full run: the message counts are divided by `scale`.
enum RunSize: Sendable {
    case full, quick, smoke

    var scale: Int {
        switch self {
        case .full: 1
        case .quick: 10
        case .smoke: 100
        }
    }
}

enum BenchmarkPlan {
    /// The cases for `workloads`, in a fixed order. Counts are sized so one timed run of the C
    /// baseline takes one to two seconds on a small machine (a tenth of that with `quick`, a
    /// hundredth with `smoke`). The C push server sends 64-byte messages 20 times faster than
    /// the embedded one, hence its larger count.
    static func cases(
        workloads: Set<WorkloadName>, connectionCounts: [Int], connectWindow: Int, size runSize: RunSize,
        pushServer: ServerKind
    ) -> [BenchCase] {
        let scale = runSize.scale
        var cases: [BenchCase] = []
        if workloads.contains(.push) {
            let smallCount = pushServer == .c ? 3_000_000 : 500_000
            cases.append(
                BenchCase(
                    workload: .push, size: 64, count: smallCount / scale, warmup: smallCount / 10 / scale,
                    server: pushServer))
            cases.append(
                BenchCase(
                    workload: .push, size: 64 << 10, count: 5_000 / scale, warmup: 500 / scale, server: pushServer))
            cases.append(
                BenchCase(workload: .push, size: 1 << 20, count: 300 / scale, warmup: 30 / scale, server: pushServer))
        }
        if workloads.contains(.pipe) {
            cases.append(
                BenchCase(workload: .pipe, size: 64, count: 100_000 / scale, warmup: 10_000 / scale, window: 64))
        }
        if workloads.contains(.rtt) {
            for layout in [CoreLayout.separate, .shared] {
                cases.append(
                    BenchCase(workload: .rtt, size: 64, count: 10_000 / scale, warmup: 1_000 / scale, layout: layout))
            }
        }
        if workloads.contains(.conns) {
            for conns in connectionCounts {
                cases.append(BenchCase(workload: .conns, size: 64, conns: conns, connectWindow: connectWindow))
            }
        }
        return cases
    }
}
