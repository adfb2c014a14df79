// ClientCommand: `kstlib-bench client`, the Swift client's process for one run. Takes the flags
// of c-baseline-client, runs the workload through KstlibWebSocket's public API (push, pipe and
// rtt after an untimed warm-up on a connection of their own), and prints one ClientReport line,
// with the CPU time of the timed run, on stdout.
import ArgumentParser
import Foundation
import KstlibWebSocket

struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Run one workload with the Swift client and print its result as one JSON line (used by `run`).",
        shouldDisplay: false)

    @Option var workload: String
    @Option var address = "127.0.0.1"
    @Option var port: Int
    @Option var count = 1000
    @Option var size = 64
    @Option var window = 64
    @Option var conns = 1000
    @Option var connectWindow = 0
    @Option var warmup = 0
    @Flag var compression = false
    @Option(help: "Where the consumer runs: default (the cooperative pool) or event-loop.")
    var executor = "default"

    func validate() throws {
        guard WorkloadName(rawValue: workload) != nil else { throw ValidationError("unknown workload \(workload)") }
        guard port > 0, count > 0, size >= 0, window > 0, conns > 0, connectWindow >= 0, warmup >= 0 else {
            throw ValidationError("counts must be positive")
        }
        guard ["default", "event-loop"].contains(executor) else {
            throw ValidationError("--executor is default or event-loop")
        }
    }

    func run() async throws {
        let settings = SwiftClientSettings(
            address: address, port: port, compression: compression, onEventLoop: executor == "event-loop")
        let workload = WorkloadName(rawValue: workload)!
        if workload != .conns, warmup > 0 {
            _ = await run(workload, settings, count: warmup)
        }
        let cpuBefore = ProcessStatus.cpuSeconds()
        var report = await run(workload, settings, count: count)
        if workload != .conns { report.cpuSeconds = ProcessStatus.cpuSeconds() - cpuBefore }
        let line = try JSONEncoder().encode(report)
        FileHandle.standardOutput.write(line + Data("\n".utf8))
        if !report.ok { throw ExitCode.failure }
    }

    /// One run of `workload` with `count` messages or round trips.
    private func run(_ workload: WorkloadName, _ settings: SwiftClientSettings, count: Int) async -> ClientReport {
        switch workload {
        case .push: await SwiftPushWorkload.run(settings, count: count, size: size)
        case .pipe: await SwiftPipeWorkload.run(settings, count: count, size: size, window: window)
        case .rtt: await SwiftRTTWorkload.run(settings, count: count, size: size)
        case .conns: await SwiftConnsWorkload.run(settings, conns: conns, connectWindow: connectWindow, size: size)
        }
    }
}
