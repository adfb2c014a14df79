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

    /// The keys of the `websocket:` section: where each value goes and its bound.
    fileprivate static let fileOptions: [ConfigurationFileOption] = [
        .init("websocket.ping.interval") { $0.pingInterval = try $1.duration(in: Bounds.pingInterval) },
        .init("websocket.ping.timeout") { $0.pingTimeout = try $1.duration(in: Bounds.pingTimeout) },
        .init("websocket.connection.timeout") { $0.connectionTimeout = try $1.duration(in: Bounds.connectionTimeout) },
        .init("websocket.reconnect.auto") { $0.autoReconnect = try $1.bool() },
        .init("websocket.reconnect.strategy") { $0.reconnectStrategy = try $1.choice(of: ReconnectStrategy.self) },
        .init("websocket.reconnect.delay") { $0.reconnectDelay = try $1.duration(in: Bounds.reconnectDelay) },
        .init("websocket.reconnect.max_delay") { $0.maxReconnectDelay = try $1.duration(in: Bounds.maxReconnectDelay) },
        .init("websocket.reconnect.max_attempts") {
            $0.maxReconnectAttempts = try $1.integer(in: Bounds.maxReconnectAttempts)
        },
        .init("websocket.queue.size") { $0.queueSize = try $1.integer(in: Bounds.queueSize) },
        .init("websocket.queue.policy") { $0.queueOverflowPolicy = try $1.choice(of: QueueOverflowPolicy.self) },
        .init("websocket.queue.max_message_size") { $0.maxMessageSize = try $1.integer(in: Bounds.maxMessageSize) },
        .init("websocket.proactive.disconnect_check_interval") {
            $0.disconnectCheckInterval = try $1.duration(in: Bounds.disconnectCheckInterval)
        },
        .init("websocket.proactive.reconnect_check_interval") {
            $0.reconnectCheckInterval = try $1.duration(in: Bounds.reconnectCheckInterval)
        },
        .init("websocket.proactive.disconnect_margin") {
            $0.disconnectMargin = try $1.duration(in: Bounds.disconnectMargin)
        },
        .init("websocket.proactive.max_connection_age") { $0.maxConnectionAge = try $1.durationOrNone() },
        .init("websocket.compression.enabled") { $0.compression.enabled = try $1.bool() },
        .init("websocket.compression.client_max_window_bits") {
            $0.compression.clientMaxWindowBits = try $1.integer(in: Bounds.clientMaxWindowBits)
        },
        .init("websocket.compression.client_no_context_takeover") {
            $0.compression.clientNoContextTakeover = try $1.bool()
        },
    ]
}

/// One key of the file: its dotted name and how its value lands in the configuration.
private struct ConfigurationFileOption: Sendable {
    let key: String
    let apply: @Sendable (inout WebSocketConfiguration, ConfigurationFileValue) throws -> Void

    init(
        _ key: String,
        _ apply: @escaping @Sendable (inout WebSocketConfiguration, ConfigurationFileValue) throws -> Void
    ) {
        self.key = key
        self.apply = apply
    }

    static let byKey: [String: ConfigurationFileOption] =
        Dictionary(uniqueKeysWithValues: WebSocketConfiguration.fileOptions.map { ($0.key, $0) })

    /// Every section (`websocket`, `websocket.ping`, ...) with the names allowed directly below it.
    static let sections: [String: [String]] = {
        var sections: [String: [String]] = [:]
        for option in WebSocketConfiguration.fileOptions {
            var parts = option.key.split(separator: ".").map(String.init)
            while parts.count > 1 {
                let child = parts.removeLast()
                let section = parts.joined(separator: ".")
                if !(sections[section]?.contains(child) ?? false) { sections[section, default: []].append(child) }
            }
        }
        return sections
    }()
}

/// Walks the `websocket:` tree, applying the known keys and warning about the others.
private struct ConfigurationFileReader {
    let source: String
    let warn: (String) -> Void

    func load(_ root: Node?, into config: inout WebSocketConfiguration) throws {
        guard let root, !root.isNullValue else { return } // an empty file
        guard case .mapping(let sections) = root else {
            throw WebSocketConfigurationError(
                "the configuration file must be a mapping of sections, got \(root.kindDescription)",
                file: source, value: root.written)
        }
        if let websocket = sections["websocket"] { try visit(websocket, key: "websocket", into: &config) }
    }

    private func visit(_ node: Node, key: String, into config: inout WebSocketConfiguration) throws {
        if let option = ConfigurationFileOption.byKey[key] {
            guard !node.isNullValue else { return }
            try option.apply(&config, ConfigurationFileValue(node: node, key: key, reader: self))
            return
        }
        guard let children = ConfigurationFileOption.sections[key] else {
            let parent = key.split(separator: ".").dropLast().joined(separator: ".")
            let known = ConfigurationFileOption.sections[parent]?.joined(separator: ", ") ?? ""
            warn("\(source): unknown key \(key) ignored (known keys under \(parent): \(known))")
            return
        }
        guard !node.isNullValue else { return } // `ping:` with nothing below it
        guard case .mapping(let mapping) = node else {
            throw WebSocketConfigurationError(
                "expected a mapping of \(children.joined(separator: ", ")), got \(node.kindDescription)",
                key: key, file: source, value: node.written)
        }
        for (name, child) in mapping {
            try visit(child, key: "\(key).\(name.scalar?.string ?? name.written)", into: &config)
        }
    }
}

/// One value of the file with the key it was found under, read as the type its option needs.
private struct ConfigurationFileValue {
    let node: Node
    let key: String
    let reader: ConfigurationFileReader

    func wrongType(expected: String) -> WebSocketConfigurationError {
        WebSocketConfigurationError(
            "expected \(expected), got \(node.kindDescription)", key: key, file: reader.source, value: node.written)
    }

    /// A plain YAML int or float; a quoted `"20"` is a string, and `.nan` is no number.
    func number(expected: String) throws -> Double {
        if case .scalar(let scalar) = node {
            switch node.tagName {
            case .int:
                if let value = Int.construct(from: scalar) { return Double(value) }
                if let value = Double.construct(from: scalar) { return value }
            case .float:
                if let value = Double.construct(from: scalar), !value.isNaN { return value }
            default:
                break
            }
        }
        throw wrongType(expected: expected)
    }

    /// Seconds, clamped into `bounds`.
    func duration(in bounds: ClosedRange<Duration>) throws -> Duration {
        let seconds = try number(expected: "a number of seconds")
        let range = "\(formatSeconds(bounds.lowerBound))...\(formatSeconds(bounds.upperBound)) s"
        if seconds < bounds.lowerBound.secondsAsDouble {
            clamped(below: true, range: range, to: "\(formatSeconds(bounds.lowerBound)) s")
            return bounds.lowerBound
        }
        if seconds > bounds.upperBound.secondsAsDouble {
            clamped(below: false, range: range, to: "\(formatSeconds(bounds.upperBound)) s")
            return bounds.upperBound
        }
        return .seconds(seconds)
    }

    /// A whole number, clamped into `bounds`; `1e4` counts, `2.5` does not.
    func integer(in bounds: ClosedRange<Int>) throws -> Int {
        let value = try number(expected: "a whole number")
        guard value.rounded(.towardZero) == value else { throw wrongType(expected: "a whole number") }
        let range = "\(bounds.lowerBound)...\(bounds.upperBound)"
        if value < Double(bounds.lowerBound) {
            clamped(below: true, range: range, to: "\(bounds.lowerBound)")
            return bounds.lowerBound
        }
        if value > Double(bounds.upperBound) {
            clamped(below: false, range: range, to: "\(bounds.upperBound)")
            return bounds.upperBound
        }
        return Int(value)
    }

    /// Seconds, 0 meaning none (a connection-age limit), clamped to `connectionAgeLimit`.
    func durationOrNone() throws -> Duration? {
        let seconds = try number(expected: "a number of seconds")
        guard seconds.isFinite, seconds >= 0 else {
            throw WebSocketConfigurationError(
                "expected a non-negative number of seconds (0 for no limit)",
                key: key, file: reader.source, value: node.written)
        }
        // A `Duration` of 2^63 s or more traps when printed or slept on (as `max_connection_age:
        // 1e300` would); so large an age can only mean
        // "never", which is written 0, so it is clamped like any out-of-bounds value.
        if seconds > connectionAgeLimit.secondsAsDouble {
            let limit = formatSeconds(connectionAgeLimit)
            clamped(below: false, range: "0...\(limit) s", to: "\(limit) s")
            return connectionAgeLimit
        }
        let age = Duration.seconds(seconds)
        return age == .zero ? nil : age // 1e-30 s rounds to no time at all: no limit, as 0
    }

    /// `true` or `false` only: YAML 1.1's `yes`, `no`, `on` and `off` are refused, because
    /// `auto: no` reading as a string elsewhere has bitten many a YAML user.
    func bool() throws -> Bool {
        if case .scalar(let scalar) = node, node.tagName == .bool {
            switch scalar.string {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default: break
            }
        }
        throw wrongType(expected: "true or false")
    }

    /// One of the cases of `T`, written in snake case (`fixed_delay` for `.fixedDelay`); the case
    /// of the letters does not matter (`EXPONENTIAL_BACKOFF` as in kstlib's docs).
    func choice<T: CaseIterable & RawRepresentable>(of type: T.Type) throws -> T where T.RawValue == String {
        let names = T.allCases.map { (name: snakeCaseName($0.rawValue), value: $0) }
        guard case .scalar(let scalar) = node, node.tagName == .str else {
            throw wrongType(expected: "one of \(names.map(\.name).joined(separator: ", "))")
        }
        if let match = names.first(where: { $0.name == scalar.string.lowercased() }) { return match.value }
        throw WebSocketConfigurationError(
            "unknown value, expected one of \(names.map(\.name).joined(separator: ", "))",
            key: key, file: reader.source, value: node.written)
    }

    private func clamped(below: Bool, range: String, to bound: String) {
        reader.warn(
            "\(reader.source): \(key) = \(node.written) is \(below ? "below" : "above") its bounds \(range); using \(bound)"
        )
    }
}

extension Node {
    /// The resolved tag (`!!int` for a plain `20`, `!!str` for a quoted `"20"`); Yams keeps
    /// `Tag.name` internal and spells it out only as the tag's description.
    fileprivate var tagName: Tag.Name { Tag.Name(rawValue: tag.description) }

    /// `~`, `null` or nothing at all.
    fileprivate var isNullValue: Bool {
        if case .scalar = self { return tagName == .null }
        return false
    }

    /// The value as written, on one line: lists and mappings in flow style (`[1, 2]`, `{max: 3}`),
    /// cut with `…` after about 200 characters. Yams expands aliases, so a few hundred bytes of
    /// anchors that each repeat the previous one (a "billion laughs") would otherwise spell out
    /// gigabytes in an error message.
    fileprivate var written: String {
        var text = ""
        if !write(into: &text, limit: 200) { text += "…" }
        return text
    }

    /// Appends the value to `text`; `false` when it stopped at `limit` UTF-8 bytes, the rest left out.
    private func write(into text: inout String, limit: Int) -> Bool {
        func append(_ piece: String) -> Bool {
            let room = limit - text.utf8.count
            guard piece.utf8.count <= room else {
                text += piece.prefix(max(0, room))
                return false
            }
            text += piece
            return true
        }
        switch self {
        case .scalar(let scalar): return append(scalar.string)
        case .alias(let alias): return append("*\(alias.anchor)")
        case .sequence(let sequence):
            guard append("[") else { return false }
            for (index, element) in sequence.enumerated() {
                guard index == 0 || append(", "), element.write(into: &text, limit: limit) else { return false }
            }
            return append("]")
        case .mapping(let mapping):
            guard append("{") else { return false }
            for (index, pair) in mapping.enumerated() {
                guard index == 0 || append(", "), pair.key.write(into: &text, limit: limit), append(": "),
                    pair.value.write(into: &text, limit: limit)
                else { return false }
            }
            return append("}")
        }
    }

    /// What the value is, for "expected …, got …" messages.
    fileprivate var kindDescription: String {
        switch self {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            switch tagName {
            case .str: return "a string"
            case .int: return "an integer"
            case .float: return scalar.string.lowercased().hasSuffix("nan") ? "not-a-number" : "a number"
            case .null: return "null"
            case .bool:
                return ["true", "false"].contains(scalar.string.lowercased())
                    ? "a boolean" : "the YAML 1.1 boolean word \(scalar.string) (write true or false)"
            case .timestamp: return "a timestamp"
            default: return "a value tagged \(tagName.rawValue)"
            }
        }
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    fileprivate var secondsAsDouble: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// The largest `max_connection_age` a file may set: about 31 years, far from where `Duration`
/// arithmetic overflows.
private let connectionAgeLimit: Duration = .seconds(1_000_000_000)

/// `5` for 5 s, `0.5` for 500 ms: how bounds are printed in warnings.
private func formatSeconds(_ duration: Duration) -> String {
    let seconds = duration.secondsAsDouble
    return seconds == seconds.rounded() ? String(Int64(seconds)) : String(seconds)
}

/// `fixed_delay` for `fixedDelay`.
private func snakeCaseName(_ name: String) -> String {
    var result = ""
    for character in name {
        if character.isUppercase {
            result += "_" + character.lowercased()
        } else {
            result.append(character)
        }
    }
    return result
}

/// A YAML error on one line: the problem and where it is, without the echoed document.
private func describeYAMLError(_ error: any Error) -> String {
    guard let yamlError = error as? YamlError else { return String(describing: error) }
    switch yamlError {
    case .scanner(let context, let problem, let mark, _),
        .parser(let context, let problem, let mark, _),
        .composer(let context, let problem, let mark, _):
        let context = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
        return "\(problem) at line \(mark.line), column \(mark.column)\(context)"
    case .duplicatedKeysInMapping(let duplicates, let context):
        return "duplicate key \(duplicates.joined(separator: ", ")) in the mapping at line \(context.mark.line), "
            + "column \(context.mark.column)"
    default:
        return String(describing: yamlError).split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
