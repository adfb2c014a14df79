// RatioTable: the closing table of a run: for each case and Swift executor, the Swift and C
// figures, Swift/C, and the target for that ratio marked met or missed. Printed as a
// Markdown table.
import Foundation

/// What a ratio must be for its target to be met.
enum RatioTarget: Sendable {
    case atLeast(Double)
    case atMost(Double)

    func isMet(by ratio: Double) -> Bool {
        switch self {
        case .atLeast(let bound): ratio >= bound
        case .atMost(let bound): ratio <= bound
        }
    }

    var text: String {
        switch self {
        case .atLeast(let bound): String(format: "≥ %.2f", bound)
        case .atMost(let bound): String(format: "≤ %.2f", bound)
        }
    }
}

struct RatioTable {
    private struct Row {
        var label: String
        var executor: String
        var metric: String
        var swift: String
        var c: String
        var ratio: String
        var target: String
        var status: String
    }

    private var rows: [Row] = []

    /// Adds the rows of one case from its two measurements, with the targets of the performance
    /// issue: push and pipe at 0.85x C by default and 0.95x on the event-loop executor; large
    /// messages at 0.9x; round trips on one core at 0.75x and 0.95x; 1,000 connections opened in
    /// at most 1.3x C's time, with at most 1.5x its RSS per idle connection.
    mutating func add(swift: Measurement, c: Measurement) {
        let benchCase = swift.benchCase
        let onLoop = swift.client == .swiftEventLoop
        switch benchCase.workload {
        case .push where benchCase.size >= 1024:
            compare(benchCase.label, "MB/s", "mb_per_s", swift, c, decimals: 0, target: .atLeast(0.9))
            compare(benchCase.label, "CPU µs/msg", "cpu_us_per_msg", swift, c, decimals: 2, target: nil)
        case .push, .pipe:
            compare(
                benchCase.label, "msgs/s", "msgs_per_s", swift, c, decimals: 0,
                target: .atLeast(onLoop ? 0.95 : 0.85))
            compare(benchCase.label, "CPU µs/msg", "cpu_us_per_msg", swift, c, decimals: 2, target: nil)
        case .rtt:
            let oneCore = benchCase.layout == .shared
            compare(
                benchCase.label, "round trips/s", "rtt_per_s", swift, c, decimals: 0,
                target: oneCore ? .atLeast(onLoop ? 0.95 : 0.75) : nil)
            compare(benchCase.label, "p50 µs", "p50_us", swift, c, decimals: 1, target: nil)
            compare(benchCase.label, "p99 µs", "p99_us", swift, c, decimals: 1, target: nil)
            compare(benchCase.label, "CPU µs/rtt", "cpu_us_per_msg", swift, c, decimals: 2, target: nil)
        case .conns:
            compare(benchCase.label, "RSS/conn KiB", "rss_per_conn_kb", swift, c, decimals: 1, target: .atMost(1.5))
            compare(benchCase.label, "heap/conn KiB", "heap_per_conn_kb", swift, c, decimals: 1, target: nil)
            compare(benchCase.label, "peak RSS MiB", "rss_peak_mb", swift, c, decimals: 1, target: nil)
            compare(
                benchCase.label, "all open ms", "open_ms", swift, c, decimals: 1,
                target: benchCase.conns == 1_000 ? .atMost(1.3) : nil)
            if benchCase.conns >= 10_000 { addOneLoopThreadRow(swift) }
        }
    }

    /// The Markdown table.
    var text: String {
        let header = Row(
            label: "case", executor: "Swift executor", metric: "metric", swift: "Swift", c: "C", ratio: "Swift/C",
            target: "target", status: "")
        let all = [header] + rows
        func width(_ column: KeyPath<Row, String>) -> Int { all.map { $0[keyPath: column].count }.max() ?? 0 }
        let columns: [KeyPath<Row, String>] = [
            \.label, \.executor, \.metric, \.swift, \.c, \.ratio, \.target, \.status,
        ]
        let widths = columns.map(width)
        func line(_ row: Row) -> String {
            let cells = zip(columns, widths).map { column, width in
                row[keyPath: column].padding(toLength: width, withPad: " ", startingAt: 0)
            }
            return "| " + cells.joined(separator: " | ") + " |"
        }
        let rule = "|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|"
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
    }

    private mutating func compare(
        _ label: String, _ metric: String, _ name: String, _ swift: Measurement, _ c: Measurement,
        decimals: Int, target: RatioTarget?
    ) {
        let swiftValue = swift.value(name)
        let cValue = c.value(name)
        var ratio: Double?
        if let swiftValue, let cValue, cValue != 0 { ratio = swiftValue / cValue }
        let status: String
        if let target {
            status = ratio.map { target.isMet(by: $0) ? "met" : "MISSED" } ?? "no data"
        } else {
            status = ""
        }
        rows.append(
            Row(
                label: label, executor: Self.executorName(swift.client), metric: metric,
                swift: Self.format(swiftValue, decimals),
                c: Self.format(cValue, decimals),
                ratio: ratio.map { String(format: "%.2f", $0) } ?? "-", target: target?.text ?? "", status: status))
    }

    /// The target that 10,000 connections live on one event-loop thread.
    private mutating func addOneLoopThreadRow(_ swift: Measurement) {
        let loops = swift.value("loop_threads")
        let met = swift.repetitions > 0 && loops == 1
        rows.append(
            Row(
                label: swift.benchCase.label, executor: Self.executorName(swift.client), metric: "loop threads",
                swift: Self.format(loops, 0), c: "1", ratio: "-",
                target: "all open on 1", status: met ? "met" : "MISSED"))
    }

    private static func executorName(_ client: ClientKind) -> String {
        client == .swiftEventLoop ? "event loop" : "default"
    }

    static func format(_ value: Double?, _ decimals: Int) -> String {
        guard let value else { return "-" }
        if decimals == 0 {
            let formatter = NumberFormatter()
            formatter.numberStyle = .decimal
            formatter.maximumFractionDigits = 0
            return formatter.string(from: NSNumber(value: value.rounded())) ?? String(Int(value))
        }
        return String(format: "%.\(decimals)f", value)
    }
}
