// JSONLine: a flat JSON object whose keys keep the order they were added in, so result lines
// read the same way every time (`workload` first, `rep_median_of` last).
import Foundation

struct JSONLine {
    private var fields: [String] = []

    mutating func add(_ key: String, _ value: String) {
        fields.append("\(Self.quoted(key)):\(Self.quoted(value))")
    }

    mutating func add(_ key: String, _ value: Int) {
        fields.append("\(Self.quoted(key)):\(value)")
    }

    mutating func add(_ key: String, _ value: Bool) {
        fields.append("\(Self.quoted(key)):\(value)")
    }

    /// A number with `decimals` digits after the point (an integer for 0).
    mutating func add(_ key: String, _ value: Double, decimals: Int) {
        let number =
            value.isFinite
            ? (decimals == 0 ? String(Int(value.rounded())) : String(format: "%.\(decimals)f", value))
            : "null"
        fields.append("\(Self.quoted(key)):\(number)")
    }

    var text: String { "{" + fields.joined(separator: ",") + "}" }

    private static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
