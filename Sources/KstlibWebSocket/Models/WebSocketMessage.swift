// One whole message received from (or sent to) the server.
public import Foundation

/// One whole WebSocket message: fragments are already reassembled.
public enum WebSocketMessage: Sendable, Hashable, CustomStringConvertible {
    /// A text message (always valid UTF-8).
    case text(String)
    /// A binary message.
    case binary([UInt8])

    /// The text of a text message, `nil` for binary.
    public var text: String? {
        if case .text(let text) = self { return text }
        return nil
    }

    /// The payload bytes: UTF-8 for text, raw for binary.
    public var bytes: [UInt8] {
        switch self {
        case .text(let text): return Array(text.utf8)
        case .binary(let bytes): return bytes
        }
    }

    /// Decodes the message's payload as JSON (text or binary alike).
    public func decode<T: Decodable>(_ type: T.Type = T.self, using decoder: JSONDecoder = JSONDecoder()) throws -> T {
        switch self {
        case .text(let text): return try decoder.decode(type, from: Data(text.utf8))
        case .binary(let bytes): return try decoder.decode(type, from: Data(bytes))
        }
    }

    /// The text of a text message; `<N bytes>` for a binary one, which may not be printable.
    public var description: String {
        switch self {
        case .text(let text): return text
        case .binary(let bytes): return "<\(bytes.count) bytes>"
        }
    }
}
