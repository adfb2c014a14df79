// SoakSample: one periodic reading of the soak, printed as a line for people (stderr) and as a
// JSON line (stdout).
import Foundation

struct SoakSample: Sendable {
    var elapsedSeconds: Int
    /// Feed messages consumed since the start.
    var messages: Int
    /// Messages per second over the interval since the previous sample.
    var messagesPerSecond: Double
    /// The manager's successful reconnects since the start.
    var reconnects: Int
    /// Server processes killed since the start.
    var kills: Int
    var gaps: Int
    var missed: Int
    var duplicates: Int
    /// VmRSS of this process (the client, its manager and the soak's bookkeeping), in kB.
    var rssKB: Int
    /// malloc's live heap, in kB: what RSS would be without the allocator's retained free blocks.
    var heapKB: Int

    var jsonLine: String {
        var line = JSONLine()
        line.add("soak", "sample")
        line.add("elapsed_s", elapsedSeconds)
        line.add("messages", messages)
        line.add("msgs_per_s", messagesPerSecond, decimals: 0)
        line.add("reconnects", reconnects)
        line.add("kills", kills)
        line.add("gaps", gaps)
        line.add("missed", missed)
        line.add("duplicates", duplicates)
        line.add("rss_kb", rssKB)
        line.add("heap_kb", heapKB)
        return line.text
    }

    var textLine: String {
        String(
            format: "%5ds  messages %10d  %7.0f msg/s  reconnects %4d  kills %4d  gaps %3d (%d missed)"
                + "  duplicates %d  RSS %.1f MiB  heap %.1f MiB",
            elapsedSeconds, messages, messagesPerSecond, reconnects, kills, gaps, missed, duplicates,
            Double(rssKB) / 1024, Double(heapKB) / 1024)
    }
}
