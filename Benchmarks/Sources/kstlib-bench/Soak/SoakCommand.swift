// SoakCommand: `kstlib-bench soak`, the long-running check that the client survives server
// crashes without leaking or delivering twice. The embedded server streams its numbered /feed at
// `--rate` in a child process that is killed (SIGKILL) every `--kill-every` seconds and started
// again on the same port; one WebSocketManager with automatic reconnection consumes the feed
// through `stream()`. Every `--report-every` seconds a line goes to stderr and a JSON line to
// stdout; at the end a summary says PASS or FAIL (exit status 1): RSS must not grow by 5% or more
// from warm-up to the end, and no message may arrive twice.
import ArgumentParser
import Foundation

struct SoakCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract:
            "Stream the server's numbered feed while killing the server every few seconds; check RSS and delivery.")

    @Option(help: "Seconds the soak runs.")
    var duration = 600

    @Option(help: "Feed messages per second (at most 50,000).")
    var rate = 10_000

    @Option(help: "Seconds each server process lives before it is killed (SIGKILL) and restarted on the same port.")
    var killEvery = 5.0

    @Option(help: "Seconds between two report lines; also the width of the RSS windows compared at the end.")
    var reportEvery = 10

    @Option(
        help: "Seconds of warm-up before the reference RSS (default: 10% of the duration, at least 30, at most half).")
    var warmup: Int?

    @Option(help: "RSS growth from warm-up to the end that fails the soak, in percent.")
    var maxGrowth = 5.0

    func validate() throws {
        guard duration >= 10 else { throw ValidationError("--duration must be at least 10 seconds") }
        guard (1...50_000).contains(rate) else { throw ValidationError("--rate must be between 1 and 50,000") }
        guard killEvery >= 0.5 else { throw ValidationError("--kill-every must be at least 0.5 seconds") }
        guard reportEvery >= 1, reportEvery <= duration / 2 else {
            throw ValidationError("--report-every must be between 1 and half the duration")
        }
        if let warmup, warmup < 0 || warmup + reportEvery > duration {
            throw ValidationError("--warmup must leave at least one report interval")
        }
        guard maxGrowth > 0 else { throw ValidationError("--max-growth must be positive") }
    }

    /// The warm-up: 10% of the duration, at least 30 s, never more than half the run.
    private var warmupSeconds: Int {
        warmup ?? min(max(30, duration / 10), duration / 2)
    }

    func run() async throws {
        let executables = try Executables.locate()
        let supervisor = try SoakServerSupervisor(benchExecutable: executables.bench, lifetime: .seconds(killEvery))
        let client = SoakClient(port: supervisor.port, rate: rate)
        announce(port: supervisor.port)
        let consumer = Task { await client.consume() }

        var history = RSSHistory(capacity: duration)
        let clock = ContinuousClock()
        let start = clock.now
        var previous = (second: 0, messages: 0)
        var elapsed = 0
        while elapsed < duration, supervisor.failureReason == nil {
            elapsed += 1
            try? await clock.sleep(until: start + .seconds(elapsed))
            history.add(second: elapsed, rssKB: ProcessStatus.current().rssKB)
            if elapsed % reportEvery == 0 || elapsed == duration {
                let sample = takeSample(at: elapsed, since: previous, client: client, supervisor: supervisor)
                emit(sample)
                previous = (elapsed, sample.messages)
            }
        }

        await client.close()
        await consumer.value
        supervisor.stop()

        let verdict = conclude(
            elapsed: elapsed, history: history, client: client, supervisor: supervisor)
        writeLine(verdict.jsonLine)
        FileHandle.standardError.write(Data((verdict.text + "\n").utf8))
        if !verdict.passed { throw ExitCode.failure }
    }

    private func announce(port: Int) {
        var line = JSONLine()
        line.add("soak", "start")
        line.add("duration_s", duration)
        line.add("rate", rate)
        line.add("kill_every_s", killEvery, decimals: 1)
        line.add("report_every_s", reportEvery)
        line.add("warmup_s", warmupSeconds)
        line.add("port", port)
        line.add("load_avg_1m", MachineFacts.loadAverage(), decimals: 2)
        writeLine(line.text)
        FileHandle.standardError.write(
            Data(
                ("kstlib-bench soak: \(duration) s of /feed at \(rate) msg/s on port \(port), server killed every "
                    + "\(killEvery) s; warm-up \(warmupSeconds) s\n").utf8))
    }

    private func takeSample(
        at elapsed: Int, since previous: (second: Int, messages: Int), client: SoakClient,
        supervisor: SoakServerSupervisor
    ) -> SoakSample {
        let ledger = client.ledger.withLock { $0 }
        return SoakSample(
            elapsedSeconds: elapsed, messages: ledger.messages,
            messagesPerSecond: Double(ledger.messages - previous.messages) / Double(max(elapsed - previous.second, 1)),
            reconnects: client.manager.stats.reconnects, kills: supervisor.kills.load(ordering: .relaxed),
            gaps: ledger.gaps, missed: ledger.missed, duplicates: ledger.duplicates,
            rssKB: ProcessStatus.current().rssKB, heapKB: ProcessStatus.heapInUseKB())
    }

    private func emit(_ sample: SoakSample) {
        writeLine(sample.jsonLine)
        FileHandle.standardError.write(Data((sample.textLine + "\n").utf8))
    }

    /// One JSON line on stdout, unbuffered, so a reader of a pipe sees each sample when it is taken.
    private func writeLine(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    private func conclude(
        elapsed: Int, history: RSSHistory, client: SoakClient, supervisor: SoakServerSupervisor
    ) -> SoakVerdict {
        let warmupWindow = (warmupSeconds + 1)...(warmupSeconds + reportEvery)
        let endWindow = max(1, elapsed - reportEvery + 1)...max(1, elapsed)
        return SoakVerdict(
            durationSeconds: elapsed, rate: rate, killEverySeconds: killEvery, warmupWindow: warmupWindow,
            endWindow: endWindow, rssWarmKB: history.medianKB(in: warmupWindow) ?? 0,
            rssEndKB: history.medianKB(in: endWindow) ?? 0, rssPeakKB: history.peakKB, maxGrowthPercent: maxGrowth,
            ledger: client.ledger.withLock { $0 }, reconnects: client.manager.stats.reconnects,
            kills: supervisor.kills.load(ordering: .relaxed),
            delayedRestarts: supervisor.delayedRestarts.load(ordering: .relaxed),
            streamFailures: client.streamFailures.load(ordering: .relaxed),
            lastStreamFailure: client.lastFailureDescription, serverFailure: supervisor.failureReason,
            loadAverage: MachineFacts.loadAverage())
    }
}
