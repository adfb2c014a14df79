// How kstlib-ws shows messages and connection events.
import Foundation
import KstlibWebSocket

/// Writes messages to standard output and events to standard error.
///
/// Events go to standard error so that `kstlib-ws URL | jq` sees only messages.
struct MessagePrinter: Sendable {
    /// Pretty-print JSON messages.
    let json: Bool

    /// One message, then a newline.
    func show(_ message: WebSocketMessage) {
        write(format(message) + "\n", to: .standardOutput)
    }

    /// The text of a message as printed: pretty JSON when asked and possible, hexadecimal for
    /// binary messages that are not JSON.
    func format(_ message: WebSocketMessage) -> String {
        if json, let pretty = Self.prettyJSON(message.bytes) { return pretty }
        switch message {
        case .text(let text): return text
        case .binary(let bytes): return bytes.map { String(format: "%02x", $0) }.joined()
        }
    }

    /// A connection event, as `kstlib-ws: connected to ws://...`.
    static func event(_ text: String) {
        write("kstlib-ws: \(text)\n", to: .standardError)
    }

    private static func prettyJSON(_ bytes: [UInt8]) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]),
            object is [Any] || object is [String: Any],
            let data = try? JSONSerialization.data(
                withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    private func write(_ text: String, to handle: FileHandle) { Self.write(text, to: handle) }

    private static func write(_ text: String, to handle: FileHandle) {
        handle.write(Data(text.utf8))
    }
}
