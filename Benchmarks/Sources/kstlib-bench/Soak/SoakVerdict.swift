// SoakVerdict: the end of a soak: RSS after warm-up against RSS at the end, the delivery checks,
// and PASS or FAIL.
//
// PASS needs all of:
// - RSS growth below the limit (5% by default) from the median of the readings in the window
//   right after warm-up to the median of the readings in the last window;
// - no duplicate: no feed number delivered twice (or out of order);
// - the stream never failed: every kill was followed by an automatic reconnect;
// - the server could always be restarted.
import Foundation

struct SoakVerdict: Sendable {
    var durationSeconds: Int
    var rate: Int
    var killEverySeconds: Double
    /// The window the reference RSS is read in, and the last one.
    var warmupWindow: ClosedRange<Int>
    var endWindow: ClosedRange<Int>
    var rssWarmKB: Double
    var rssEndKB: Double
    var rssPeakKB: Int
    var maxGrowthPercent: Double
    var ledger: FeedLedger
    var reconnects: Int
    var kills: Int
    var delayedRestarts: Int
    var streamFailures: Int
    var lastStreamFailure: String?
    var serverFailure: String?
    var loadAverage: Double

    var growthPercent: Double {
        rssWarmKB > 0 ? (rssEndKB - rssWarmKB) / rssWarmKB * 100 : .nan
    }

    var rssFlat: Bool { growthPercent.isFinite && growthPercent < maxGrowthPercent }
    var noDuplicates: Bool { ledger.duplicates == 0 }
    var streamSurvived: Bool { streamFailures == 0 }
    var serverSurvived: Bool { serverFailure == nil }
    var passed: Bool { rssFlat && noDuplicates && streamSurvived && serverSurvived }

    var jsonLine: String {
        var line = JSONLine()
        line.add("soak", "summary")
        line.add("duration_s", durationSeconds)
        line.add("rate", rate)
        line.add("kill_every_s", killEverySeconds, decimals: 1)
        line.add("messages", ledger.messages)
        line.add("msgs_per_s", Double(ledger.messages) / Double(max(durationSeconds, 1)), decimals: 0)
        line.add("reconnects", reconnects)
        line.add("kills", kills)
        line.add("incarnations_seen", ledger.incarnationsSeen)
        line.add("incarnations_skipped", ledger.incarnationsSkipped)
        line.add("gaps", ledger.gaps)
        line.add("missed", ledger.missed)
        line.add("duplicates", ledger.duplicates)
        line.add("foreign", ledger.foreign)
        line.add("longest_silence_ms", ledger.longestSilence.seconds * 1000, decimals: 0)
        line.add("stream_failures", streamFailures)
        line.add("delayed_restarts", delayedRestarts)
        line.add("rss_warm_kb", rssWarmKB, decimals: 0)
        line.add("rss_end_kb", rssEndKB, decimals: 0)
        line.add("rss_peak_kb", rssPeakKB)
        line.add("rss_growth_pct", growthPercent, decimals: 2)
        line.add("warm_window_s", "\(warmupWindow.lowerBound)-\(warmupWindow.upperBound)")
        line.add("end_window_s", "\(endWindow.lowerBound)-\(endWindow.upperBound)")
        line.add("load_avg_1m", loadAverage, decimals: 2)
        line.add("rss_flat", rssFlat)
        line.add("no_duplicates", noDuplicates)
        line.add("stream_survived", streamSurvived)
        line.add("result", passed ? "PASS" : "FAIL")
        return line.text
    }

    var text: String {
        var lines: [String] = []
        lines.append(
            String(
                format: "soak %d s at %d msg/s, server killed every %.1f s: %d messages (%.0f msg/s), %d reconnects, "
                    + "%d kills, %d incarnations seen (%d skipped)",
                durationSeconds, rate, killEverySeconds, ledger.messages,
                Double(ledger.messages) / Double(max(durationSeconds, 1)), reconnects, kills,
                ledger.incarnationsSeen, ledger.incarnationsSkipped))
        lines.append(
            "delivery: \(ledger.duplicates) duplicates, \(ledger.gaps) gaps (\(ledger.missed) messages missed), "
                + "\(ledger.foreign) foreign messages, \(streamFailures) stream failures; longest silence "
                + String(format: "%.0f ms", ledger.longestSilence.seconds * 1000))
        if let duplicate = ledger.firstDuplicate {
            lines.append(
                "first duplicate: \(duplicate.repeated.incarnation):\(duplicate.repeated.n) after "
                    + "\(duplicate.after.incarnation):\(duplicate.after.n)")
        }
        if let lastStreamFailure { lines.append("last stream failure: \(lastStreamFailure)") }
        if let serverFailure { lines.append("server: \(serverFailure)") }
        lines.append(
            String(
                format: "RSS after warm-up (median of %d-%d s) %.1f MiB, at the end (median of %d-%d s) %.1f MiB: "
                    + "%+.2f%% (limit %.0f%%); peak %.1f MiB",
                warmupWindow.lowerBound, warmupWindow.upperBound, rssWarmKB / 1024, endWindow.lowerBound,
                endWindow.upperBound, rssEndKB / 1024, growthPercent, maxGrowthPercent, Double(rssPeakKB) / 1024))
        lines.append("RSS flat after warm-up: \(rssFlat ? "PASS" : "FAIL")")
        lines.append("no duplicates: \(noDuplicates ? "PASS" : "FAIL")")
        lines.append("stream survived every kill: \(streamSurvived && serverSurvived ? "PASS" : "FAIL")")
        lines.append(String(format: "load average (1 min) at the end: %.2f", loadAverage))
        lines.append("soak: \(passed ? "PASS" : "FAIL")")
        return lines.joined(separator: "\n")
    }
}
