// The websocket subsystem's branch of the kstlib error hierarchy.
@_exported public import Kstlib

/// Every error the websocket subsystem throws.
///
/// The seed's hierarchy, `KstlibError` > `WebSocketError` > six concrete errors
/// (``WebSocketConnectionError``, ``WebSocketClosedError``, ``WebSocketTimeoutError``,
/// ``WebSocketReconnectError``, ``WebSocketProtocolError``, ``WebSocketQueueFullError``), plus
/// ``WebSocketConfigurationError`` for configuration files, is modelled with protocols so each
/// concrete error stays a `Sendable` value type:
///
/// ```swift
/// do { try await ws.connect() }
/// catch let error as WebSocketConnectionError { print(error.url, error.attempts) }
/// catch let error as any WebSocketError { print("websocket error: \(error)") }
/// ```
public protocol WebSocketError: KstlibError {}

extension WebSocketError {
    /// Joins the message and its `name=value` fields the way every error prints itself.
    func describe(_ fields: KeyValuePairs<String, String>) -> String {
        let list = fields.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        return list.isEmpty ? "\(Self.self): \(message)" : "\(Self.self): \(message) (\(list))"
    }
}

/// Prints an optional underlying error for an error's description.
func describeOptional(_ error: (any Error)?) -> String {
    error.map { String(describing: $0) } ?? "nil"
}
