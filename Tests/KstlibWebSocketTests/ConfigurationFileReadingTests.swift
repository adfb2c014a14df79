// Loading WebSocketConfiguration from a file: every key of the websocket: section, the spellings of
// its values, and unknown keys.
import Testing
@testable import KstlibWebSocket

@Suite("Configuration file: reading keys", .timeLimit(.minutes(3)))
struct ConfigurationFileReadingTests: ConfigurationFileLoading {
    @Test("Every key is read")
    func everyKey() throws {
        let (config, warnings) = try load(
            """
            logging: {level: info}        # another subsystem's section
            websocket:
              ping:
                interval: 15
                timeout: 7.5
              connection:
                timeout: 12
              reconnect:
                auto: false
                strategy: fixed_delay
                delay: 2.5
                max_delay: 120
                max_attempts: 42
              queue:
                size: 250
                policy: drop_oldest
                max_message_size: 1048576
              proactive:
                disconnect_check_interval: 3
                reconnect_check_interval: 0.5
                disconnect_margin: 600
                max_connection_age: 86400
              compression:
                enabled: false
                client_max_window_bits: 10
                client_no_context_takeover: true
            """)
        #expect(warnings.isEmpty)
        #expect(config.pingInterval == .seconds(15))
        #expect(config.pingTimeout == .milliseconds(7500))
        #expect(config.connectionTimeout == .seconds(12))
        #expect(config.autoReconnect == false)
        #expect(config.reconnectStrategy == .fixedDelay)
        #expect(config.reconnectDelay == .milliseconds(2500))
        #expect(config.maxReconnectDelay == .seconds(120))
        #expect(config.maxReconnectAttempts == 42)
        #expect(config.queueSize == 250)
        #expect(config.queueOverflowPolicy == .dropOldest)
        #expect(config.maxMessageSize == 1_048_576)
        #expect(config.disconnectCheckInterval == .seconds(3))
        #expect(config.reconnectCheckInterval == .milliseconds(500))
        #expect(config.disconnectMargin == .seconds(600))
        #expect(config.maxConnectionAge == .seconds(86400))
        #expect(config.compression.enabled == false)
        #expect(config.compression.clientMaxWindowBits == 10)
        #expect(config.compression.clientNoContextTakeover == true)
        // Options the file does not touch keep their defaults.
        #expect(config.closeTimeout == WebSocketConfiguration().closeTimeout)
        #expect(config.gaplessRotation == false)
    }

    @Test("Only the keys present change")
    func partial() throws {
        let (config, _) = try load("websocket:\n  ping: {interval: 30}\n  reconnect: {auto: true}\n")
        #expect(config.pingInterval == .seconds(30))
        var expected = config
        expected.pingInterval = WebSocketConfiguration().pingInterval
        expectDefaults(expected)
    }

    @Test(
        "Reconnect strategies in snake case, any letter case",
        arguments: [
            ("immediate", ReconnectStrategy.immediate),
            ("fixed_delay", .fixedDelay),
            ("exponential_backoff", .exponentialBackoff),
            ("EXPONENTIAL_BACKOFF", .exponentialBackoff),
            ("'callback_controlled'", .callbackControlled),
        ])
    func strategies(written: String, strategy: ReconnectStrategy) throws {
        let (config, _) = try load("websocket:\n  reconnect:\n    strategy: \(written)\n")
        #expect(config.reconnectStrategy == strategy)
    }

    @Test(
        "Queue policies in snake case",
        arguments: [
            ("backpressure", QueueOverflowPolicy.backpressure),
            ("drop_newest", .dropNewest),
            ("drop_oldest", .dropOldest),
            ("fail", .fail),
        ])
    func policies(written: String, policy: QueueOverflowPolicy) throws {
        let (config, _) = try load("websocket:\n  queue:\n    policy: \(written)\n")
        #expect(config.queueOverflowPolicy == policy)
    }

    @Test("Booleans: true and false in any YAML spelling")
    func booleans() throws {
        #expect(try load("websocket: {reconnect: {auto: False}}").0.autoReconnect == false)
        #expect(try load("websocket: {reconnect: {auto: TRUE}}").0.autoReconnect == true)
        #expect(try load("websocket: {compression: {enabled: true}}").0.compression.enabled == true)
    }

    @Test("A connection-age limit of 0 means none")
    func noConnectionAge() throws {
        #expect(try load("websocket: {proactive: {max_connection_age: 0}}").0.maxConnectionAge == nil)
        #expect(
            try load("websocket: {proactive: {max_connection_age: 3600.5}}").0.maxConnectionAge
                == .milliseconds(3_600_500))
    }

    @Test("Whole numbers may be written as floats")
    func integralFloats() throws {
        let (config, warnings) = try load("websocket: {queue: {size: 1e3, max_message_size: 2048.0}}")
        #expect(config.queueSize == 1000)
        #expect(config.maxMessageSize == 2048)
        #expect(warnings.isEmpty)
    }

    @Test("Anchors and aliases are followed")
    func aliases() throws {
        let (config, _) = try load(
            """
            defaults: &timeout 25
            websocket:
              ping: {timeout: 25}
              connection: {timeout: *timeout}
            """)
        #expect(config.connectionTimeout == .seconds(25))
    }

    // MARK: Unknown keys

    @Test("Unknown keys under websocket: are warned about, not errors")
    func unknownKeys() throws {
        let (config, warnings) = try load(
            """
            websocket:
              ping:
                intervall: 30
                timeout: 8
              pingg: {interval: 30}
              url: wss://example.invalid
            """)
        #expect(config.pingTimeout == .seconds(8))
        #expect(config.pingInterval == WebSocketConfiguration().pingInterval)
        #expect(warnings.count == 3)
        #expect(warnings.contains { $0.contains("websocket.ping.intervall") && $0.contains("interval, timeout") })
        #expect(warnings.contains { $0.contains("websocket.pingg") })
        #expect(warnings.contains { $0.contains("websocket.url") })
        #expect(warnings.allSatisfy { $0.hasPrefix("test.yml: unknown key ") })
    }
}
