// Helpers of the ConfigurationFile suites: loading YAML through the internal initializer and
// comparing a configuration with the defaults.
import Testing
@testable import KstlibWebSocket

/// The suites that load YAML through the internal initializer, which collects the warnings.
protocol ConfigurationFileLoading {}

extension ConfigurationFileLoading {
    /// Loads `yaml` through the internal init, returning the configuration and every warning.
    func load(_ yaml: String, source: String = "test.yml") throws -> (WebSocketConfiguration, [String]) {
        var warnings: [String] = []
        let config = try WebSocketConfiguration(yaml: yaml, source: source, warn: { warnings.append($0) })
        return (config, warnings)
    }

    /// Loads `yaml`, expecting a ``WebSocketConfigurationError``, and returns it.
    func loadError(_ yaml: String, source: String = "test.yml") -> WebSocketConfigurationError? {
        #expect(throws: WebSocketConfigurationError.self) { _ = try load(yaml, source: source) }
    }

    /// Every option the file can set, compared field by field (the configuration holds closures, so
    /// it is not `Equatable`).
    func expectDefaults(_ config: WebSocketConfiguration, sourceLocation: SourceLocation = #_sourceLocation) {
        let defaults = WebSocketConfiguration()
        #expect(config.pingInterval == defaults.pingInterval, sourceLocation: sourceLocation)
        #expect(config.pingTimeout == defaults.pingTimeout, sourceLocation: sourceLocation)
        #expect(config.connectionTimeout == defaults.connectionTimeout, sourceLocation: sourceLocation)
        #expect(config.autoReconnect == defaults.autoReconnect, sourceLocation: sourceLocation)
        #expect(config.reconnectStrategy == defaults.reconnectStrategy, sourceLocation: sourceLocation)
        #expect(config.reconnectDelay == defaults.reconnectDelay, sourceLocation: sourceLocation)
        #expect(config.maxReconnectDelay == defaults.maxReconnectDelay, sourceLocation: sourceLocation)
        #expect(config.maxReconnectAttempts == defaults.maxReconnectAttempts, sourceLocation: sourceLocation)
        #expect(config.queueSize == defaults.queueSize, sourceLocation: sourceLocation)
        #expect(config.queueOverflowPolicy == defaults.queueOverflowPolicy, sourceLocation: sourceLocation)
        #expect(config.maxMessageSize == defaults.maxMessageSize, sourceLocation: sourceLocation)
        #expect(config.disconnectCheckInterval == defaults.disconnectCheckInterval, sourceLocation: sourceLocation)
        #expect(config.reconnectCheckInterval == defaults.reconnectCheckInterval, sourceLocation: sourceLocation)
        #expect(config.disconnectMargin == defaults.disconnectMargin, sourceLocation: sourceLocation)
        #expect(config.maxConnectionAge == defaults.maxConnectionAge, sourceLocation: sourceLocation)
        #expect(config.compression == defaults.compression, sourceLocation: sourceLocation)
    }
}
