// One key of a configuration file and the sections it belongs to.

/// One key of the file: its dotted name and how its value lands in the configuration.
struct ConfigurationFileOption: Sendable {
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
