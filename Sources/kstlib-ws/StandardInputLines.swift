// Standard input as an async sequence of lines, read on a thread of its own.
import Foundation

/// The lines typed (or piped) on standard input.
///
/// `readLine()` blocks, so it runs on a dedicated thread rather than a cooperative one, which
/// would stall every task of the process while the user thinks.
enum StandardInputLines {
    /// Every line, without its newline; finishes at end of input.
    static func stream() -> AsyncStream<String> {
        let (lines, continuation) = AsyncStream<String>.makeStream()
        let thread = Thread {
            while let line = readLine(strippingNewline: true) { continuation.yield(line) }
            continuation.finish()
        }
        thread.name = "kstlib-ws.stdin"
        thread.start()
        return lines
    }
}
