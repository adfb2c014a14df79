// How a fuzz target reports a broken invariant.

/// Stops the run when `condition` is false, printing `message` first.
///
/// libFuzzer only learns of a failure through a crash, so a broken invariant must crash:
/// `fatalError` traps, libFuzzer catches the signal and saves the input as `crash-<sha1>`.
public func invariant(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    guard condition() else {
        fatalError("invariant broken: \(message())", file: file, line: line)
    }
}

/// `text` with control characters spelled out, so a failure message shows what the input held.
public func visible(_ text: String) -> String {
    text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0) }
        .joined()
}
