// Formatting shared by the configuration-file reader: seconds, key names, YAML errors.
import Yams

extension Duration {
    /// The duration in seconds, as a `Double`.
    var secondsAsDouble: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// The largest `max_connection_age` a file may set: about 31 years, far from where `Duration`
/// arithmetic overflows.
let connectionAgeLimit: Duration = .seconds(1_000_000_000)

/// `5` for 5 s, `0.5` for 500 ms: how bounds are printed in warnings.
func formatSeconds(_ duration: Duration) -> String {
    let seconds = duration.secondsAsDouble
    return seconds == seconds.rounded() ? String(Int64(seconds)) : String(seconds)
}

/// `fixed_delay` for `fixedDelay`.
func snakeCaseName(_ name: String) -> String {
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
func describeYAMLError(_ error: any Error) -> String {
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
