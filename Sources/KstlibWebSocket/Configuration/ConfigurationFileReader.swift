// Walks the `websocket:` tree of a configuration file.
import Yams

/// Walks the `websocket:` tree, applying the known keys and warning about the others.
struct ConfigurationFileReader {
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
