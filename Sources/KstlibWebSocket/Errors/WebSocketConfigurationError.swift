// Raised when a kstlib configuration file cannot be used as it is written.

/// A configuration file could not be read, is not valid YAML, or holds a value of the wrong type
/// for one of its `websocket:` keys.
///
/// kstlib.websocket (Python) silently falls back to the default when a value has the wrong type,
/// so `ping: {interval: fast}` quietly means 20 s; here it stops the load instead, naming the key,
/// the file and the value as written, because a typo in a config file should fail on startup,
/// not at 3 a.m.:
///
/// ```swift
/// do { config = try WebSocketConfiguration(contentsOfFile: "kstlib.conf.yml") }
/// catch let error as WebSocketConfigurationError {
///     print("\(error.file): \(error.key) = \(error.value): \(error.message)")
/// }
/// ```
///
/// Out-of-bounds numbers are not errors: they are clamped into ``WebSocketConfiguration/Bounds``
/// with a logged warning.
public struct WebSocketConfigurationError: WebSocketError, Equatable {
    /// What is wrong with the value or the file (`"expected a number of seconds, got a string"`).
    public let message: String
    /// The dotted key of the offending value, such as `"websocket.ping.interval"`; empty when the
    /// file as a whole is at fault (unreadable, not valid YAML, not a mapping).
    public let key: String
    /// The path of the file, or the `source` name given for a YAML string.
    public let file: String
    /// The value as written in the file; empty when there is none.
    public let value: String

    /// Creates the error for `file`, naming the offending `key` and its `value` when there is one.
    public init(_ message: String = "invalid configuration", key: String = "", file: String, value: String = "") {
        self.message = message
        self.key = key
        self.file = file
        self.value = value
    }

    /// `WebSocketConfigurationError: message (key=…, file=…, value="…")`.
    public var description: String {
        describe(["key": key, "file": file, "value": "\"\(value)\""])
    }
}
