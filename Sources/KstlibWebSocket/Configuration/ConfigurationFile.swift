// Loads a WebSocketConfiguration from the `websocket:` section of a kstlib config file (kstlib.conf.yml).
public import Logging
import Foundation
import Yams

extension WebSocketConfiguration {
    /// Reads the `websocket:` section of a kstlib configuration file (`kstlib.conf.yml`).
    ///
    /// Precedence is kstlib's: explicit values > the file > the defaults. The defaults come
    /// first, the file's values replace them (clamped into ``Bounds``), and whatever you set in
    /// code after loading wins, unclamped:
    ///
    /// ```swift
    /// var config = try WebSocketConfiguration(contentsOfFile: "kstlib.conf.yml")
    /// config.pingInterval = .seconds(3)   // explicit: wins, not clamped
    /// ```
    ///
    /// The keys are kstlib's, every one optional:
    ///
    /// ```yaml
    /// websocket:
    ///   ping: {interval: 20, timeout: 10}        # seconds, int or float
    ///   connection: {timeout: 30}
    ///   reconnect:
    ///     auto: true                             # true/false only, not yes/no
    ///     strategy: exponential_backoff          # immediate | fixed_delay | exponential_backoff | callback_controlled
    ///     delay: 1
    ///     max_delay: 60
    ///     max_attempts: 10
    ///   queue:
    ///     size: 1000                             # 0 = unbounded
    ///     policy: backpressure                   # backpressure | drop_newest | drop_oldest | fail
    ///     max_message_size: 16777216             # bytes
    ///   proactive:
    ///     disconnect_check_interval: 10
    ///     reconnect_check_interval: 5
    ///     disconnect_margin: 300
    ///     max_connection_age: 86400              # 0 or absent = no limit; at most 1e9 (31 years)
    ///   compression:
    ///     enabled: true
    ///     client_max_window_bits: 15             # 8 - 15: our compressor's window
    ///     client_no_context_takeover: false
    /// ```
    ///
    /// A missing section, a missing key or an empty (`null`) value keeps the default. Numbers out
    /// of ``Bounds`` are clamped with a warning naming the key, the value and the bound. An unknown
    /// key under `websocket:` (a typo) is logged as a warning and ignored. Other top-level sections
    /// belong to other kstlib subsystems and are ignored.
    ///
    /// - Parameters:
    ///   - path: The file to read.
    ///   - logger: Where warnings go; `Logger(label: "kstlib.websocket.config")` when `nil`.
    /// - Throws: ``WebSocketConfigurationError`` when the file cannot be read, is not valid YAML,
    ///   or holds a value of the wrong type (`interval: fast`, `auto: [1]`, `strategy: 3`):
    ///   unlike Python kstlib, a wrong type never falls back to the default silently.
    public init(contentsOfFile path: String, logger: Logger? = nil) throws {
        let logger = logger ?? Logger(label: "kstlib.websocket.config")
        try self.init(contentsOfFile: path, warn: { logger.warning("\($0)") })
    }

    /// Reads the `websocket:` section of a kstlib configuration given as YAML text.
    ///
    /// Behaves as ``init(contentsOfFile:logger:)``; `source` names the text in errors and
    /// warnings (the `file` of a ``WebSocketConfigurationError``).
    public init(yaml: String, source: String = "<string>", logger: Logger? = nil) throws {
        let logger = logger ?? Logger(label: "kstlib.websocket.config")
        try self.init(yaml: yaml, source: source, warn: { logger.warning("\($0)") })
    }

    /// ``init(contentsOfFile:logger:)`` with the warnings handed to `warn`.
    init(contentsOfFile path: String, warn: (String) -> Void) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw WebSocketConfigurationError("cannot read the configuration file: no such file", file: path)
        }
        guard !isDirectory.boolValue else {
            throw WebSocketConfigurationError("cannot read the configuration file: it is a directory", file: path)
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw WebSocketConfigurationError(
                "cannot read the configuration file: \(error.localizedDescription)", file: path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw WebSocketConfigurationError("the configuration file is not valid UTF-8", file: path)
        }
        try self.init(yaml: text, source: path, warn: warn)
    }

    /// ``init(yaml:source:logger:)`` with the warnings handed to `warn`.
    init(yaml: String, source: String = "<string>", warn: (String) -> Void) throws {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw WebSocketConfigurationError("invalid YAML: \(describeYAMLError(error))", file: source)
        }
        var config = WebSocketConfiguration()
        try withoutActuallyEscaping(warn) { warn in
            try ConfigurationFileReader(source: source, warn: warn).load(root, into: &config)
        }
        self = config
    }
}
