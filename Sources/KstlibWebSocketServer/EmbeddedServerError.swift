// EmbeddedServerError: why an EmbeddedWebSocketServer could not start.

/// Thrown by `EmbeddedWebSocketServer.init` when libwebsockets cannot create the context or
/// the listening vhost (port in use, unknown interface, no file descriptors left...).
public struct EmbeddedServerError: Error, CustomStringConvertible, Sendable {
    /// A human-readable reason, e.g. `"cannot listen on 127.0.0.1:8080"`.
    public let message: String

    public init(message: String) {
        self.message = message
    }

    public var description: String { "EmbeddedServerError: \(message)" }
}
