// ControlCommand: the text commands understood by the /control endpoint.

/// A text message on `/control` that asks the server to do something instead of echoing.
enum ControlCommand: Equatable {
    /// `close <code> <reason...>`: close with that code and reason (reason may be empty).
    case close(code: UInt16, reason: String)
    /// `drop`: drop the TCP connection without a close frame.
    case drop
    /// `send <n>`: send n text messages `{"seq":k}`, k = 1...n.
    case send(count: Int)

    /// Longest text worth parsing as a command; anything longer is echoed without a look.
    static let maxLength = 1024
    /// Upper bound for `send <n>`, so one command cannot queue unbounded memory.
    static let maxSendCount = 1_000_000

    /// Parses `text`; nil when it is not a command (it is then echoed).
    init?(_ text: String) {
        let words = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard let verb = words.first else { return nil }
        switch verb {
        case "close" where words.count >= 2:
            guard let code = UInt16(words[1]) else { return nil }
            self = .close(code: code, reason: words.count > 2 ? String(words[2]) : "")
        case "drop" where words.count == 1:
            self = .drop
        case "send" where words.count == 2:
            guard let count = Int(words[1]), count >= 0 else { return nil }
            self = .send(count: min(count, Self.maxSendCount))
        default:
            return nil
        }
    }
}
