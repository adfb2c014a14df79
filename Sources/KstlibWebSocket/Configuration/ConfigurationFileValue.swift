// One value of a configuration file, read as the type its key expects, within bounds.
import Yams

/// One value of the file with the key it was found under, read as the type its option needs.
struct ConfigurationFileValue {
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
