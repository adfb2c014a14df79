// What a YAML node says about itself, for configuration-file messages.
import Yams

extension Node {
    /// The resolved tag (`!!int` for a plain `20`, `!!str` for a quoted `"20"`); Yams keeps
    /// `Tag.name` internal and spells it out only as the tag's description.
    var tagName: Tag.Name { Tag.Name(rawValue: tag.description) }

    /// `~`, `null` or nothing at all.
    var isNullValue: Bool {
        if case .scalar = self { return tagName == .null }
        return false
    }

    /// The value as written, on one line: lists and mappings in flow style (`[1, 2]`, `{max: 3}`),
    /// cut with `…` after about 200 characters. Yams expands aliases, so a few hundred bytes of
    /// anchors that each repeat the previous one (a "billion laughs") would otherwise spell out
    /// gigabytes in an error message.
    var written: String {
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
    var kindDescription: String {
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
