// Loading WebSocketConfiguration from the websocket: section of a kstlib.conf.yml file.
import Foundation
import Testing
@testable import KstlibWebSocket

/// Loads `yaml` through the internal init, returning the configuration and every warning.
private func load(_ yaml: String, source: String = "test.yml") throws -> (WebSocketConfiguration, [String]) {
    var warnings: [String] = []
    let config = try WebSocketConfiguration(yaml: yaml, source: source, warn: { warnings.append($0) })
    return (config, warnings)
}

/// Loads `yaml`, expecting a ``WebSocketConfigurationError``, and returns it.
private func loadError(_ yaml: String, source: String = "test.yml") -> WebSocketConfigurationError? {
    #expect(throws: WebSocketConfigurationError.self) { _ = try load(yaml, source: source) }
}

/// Every option the file can set, compared field by field (the configuration holds closures, so
/// it is not `Equatable`).
private func expectDefaults(_ config: WebSocketConfiguration, sourceLocation: SourceLocation = #_sourceLocation) {
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

@Suite("Configuration file", .timeLimit(.minutes(3)))
struct ConfigurationFileTests {
    // MARK: Defaults

    @Test(
        "Without values the defaults stay",
        arguments: [
            "",
            "# only a comment\n",
            "logging:\n  level: debug\n",
            "websocket:\n",
            "websocket: ~\n",
            "websocket:\n  ping:\n  queue: {}\n",
            "websocket:\n  ping:\n    interval:\n    timeout: null\n",
        ])
    func defaultsStay(yaml: String) throws {
        let (config, warnings) = try load(yaml)
        expectDefaults(config)
        #expect(warnings.isEmpty)
    }

    @Test("The bounds are the model's table")
    func bounds() {
        typealias B = WebSocketConfiguration.Bounds
        #expect(B.pingInterval == .seconds(5)...(.seconds(60)))
        #expect(B.pingTimeout == .seconds(5)...(.seconds(30)))
        #expect(B.connectionTimeout == .seconds(5)...(.seconds(120)))
        #expect(B.reconnectDelay == .seconds(0)...(.seconds(300)))
        #expect(B.maxReconnectDelay == .seconds(1)...(.seconds(600)))
        #expect(B.maxReconnectAttempts == 0...100)
        #expect(B.queueSize == 0...10_000)
        #expect(B.maxMessageSize == 1024...1_073_741_824)
        #expect(B.disconnectCheckInterval == .seconds(1)...(.seconds(60)))
        #expect(B.reconnectCheckInterval == .seconds(0.5)...(.seconds(60)))
        #expect(B.disconnectMargin == .seconds(60)...(.seconds(3600)))
        // The defaults lie within their bounds.
        let d = WebSocketConfiguration()
        #expect(B.pingInterval.contains(d.pingInterval!))
        #expect(B.pingTimeout.contains(d.pingTimeout))
        #expect(B.connectionTimeout.contains(d.connectionTimeout))
        #expect(B.reconnectDelay.contains(d.reconnectDelay))
        #expect(B.maxReconnectDelay.contains(d.maxReconnectDelay))
        #expect(B.maxReconnectAttempts.contains(d.maxReconnectAttempts))
        #expect(B.queueSize.contains(d.queueSize))
        #expect(B.maxMessageSize.contains(d.maxMessageSize))
        #expect(B.disconnectCheckInterval.contains(d.disconnectCheckInterval))
        #expect(B.reconnectCheckInterval.contains(d.reconnectCheckInterval))
        #expect(B.disconnectMargin.contains(d.disconnectMargin))
    }

    // MARK: Reading

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

    // MARK: Clamping

    @Test(
        "Out-of-bounds values are clamped with a warning naming key, value and bound",
        arguments: [
            // (yaml under websocket:, key, value as written, bound in the warning, used bound)
            ("ping: {interval: 1}", "websocket.ping.interval", "1", "5...60 s", "using 5 s"),
            ("ping: {interval: 600}", "websocket.ping.interval", "600", "5...60 s", "using 60 s"),
            ("ping: {interval: 0}", "websocket.ping.interval", "0", "5...60 s", "using 5 s"),
            ("ping: {timeout: 2.5}", "websocket.ping.timeout", "2.5", "5...30 s", "using 5 s"),
            ("ping: {timeout: 31}", "websocket.ping.timeout", "31", "5...30 s", "using 30 s"),
            ("connection: {timeout: 1}", "websocket.connection.timeout", "1", "5...120 s", "using 5 s"),
            ("connection: {timeout: .inf}", "websocket.connection.timeout", ".inf", "5...120 s", "using 120 s"),
            ("reconnect: {delay: -3}", "websocket.reconnect.delay", "-3", "0...300 s", "using 0 s"),
            ("reconnect: {delay: 301}", "websocket.reconnect.delay", "301", "0...300 s", "using 300 s"),
            ("reconnect: {max_delay: 0.1}", "websocket.reconnect.max_delay", "0.1", "1...600 s", "using 1 s"),
            ("reconnect: {max_delay: 9999}", "websocket.reconnect.max_delay", "9999", "1...600 s", "using 600 s"),
            ("reconnect: {max_attempts: -1}", "websocket.reconnect.max_attempts", "-1", "0...100", "using 0"),
            ("reconnect: {max_attempts: 1000}", "websocket.reconnect.max_attempts", "1000", "0...100", "using 100"),
            ("queue: {size: -5}", "websocket.queue.size", "-5", "0...10000", "using 0"),
            (
                "compression: {client_max_window_bits: 20}", "websocket.compression.client_max_window_bits", "20",
                "8...15", "using 15"
            ),
            (
                "queue: {size: 99999999999999999999}", "websocket.queue.size", "99999999999999999999", "0...10000",
                "using 10000"
            ),
            (
                "queue: {max_message_size: 10}", "websocket.queue.max_message_size", "10", "1024...1073741824",
                "using 1024"
            ),
            (
                "queue: {max_message_size: 2147483648}", "websocket.queue.max_message_size", "2147483648",
                "1024...1073741824", "using 1073741824"
            ),
            (
                "proactive: {disconnect_check_interval: 0}", "websocket.proactive.disconnect_check_interval", "0",
                "1...60 s", "using 1 s"
            ),
            (
                "proactive: {disconnect_check_interval: 61}", "websocket.proactive.disconnect_check_interval", "61",
                "1...60 s",
                "using 60 s"
            ),
            (
                "proactive: {reconnect_check_interval: 0.1}", "websocket.proactive.reconnect_check_interval", "0.1",
                "0.5...60 s",
                "using 0.5 s"
            ),
            (
                "proactive: {reconnect_check_interval: 120}", "websocket.proactive.reconnect_check_interval", "120",
                "0.5...60 s",
                "using 60 s"
            ),
            (
                "proactive: {disconnect_margin: 59}", "websocket.proactive.disconnect_margin", "59", "60...3600 s",
                "using 60 s"
            ),
            (
                "proactive: {disconnect_margin: 86400}", "websocket.proactive.disconnect_margin", "86400",
                "60...3600 s",
                "using 3600 s"
            ),
        ])
    func clamped(section: String, key: String, value: String, bound: String, used: String) throws {
        let (_, warnings) = try load("websocket: {\(section)}", source: "conf/kstlib.conf.yml")
        #expect(warnings.count == 1)
        let warning = try #require(warnings.first)
        #expect(warning.contains("conf/kstlib.conf.yml"))
        #expect(warning.contains("\(key) = \(value) "))
        #expect(warning.contains(bound))
        #expect(warning.hasSuffix(used))
    }

    @Test("Clamped values land on the bound")
    func clampedValues() throws {
        let (low, lowWarnings) = try load(
            """
            websocket:
              ping: {interval: 1, timeout: 1}
              connection: {timeout: 0}
              reconnect: {delay: -1, max_delay: 0, max_attempts: -7}
              queue: {size: -1, max_message_size: 0}
              proactive: {disconnect_check_interval: 0.2, reconnect_check_interval: 0, disconnect_margin: 1}
            """)
        #expect(lowWarnings.count == 11)
        #expect(low.pingInterval == .seconds(5))
        #expect(low.pingTimeout == .seconds(5))
        #expect(low.connectionTimeout == .seconds(5))
        #expect(low.reconnectDelay == .zero)
        #expect(low.maxReconnectDelay == .seconds(1))
        #expect(low.maxReconnectAttempts == 0)
        #expect(low.queueSize == 0)
        #expect(low.maxMessageSize == 1024)
        #expect(low.disconnectCheckInterval == .seconds(1))
        #expect(low.reconnectCheckInterval == .milliseconds(500))
        #expect(low.disconnectMargin == .seconds(60))

        let (high, highWarnings) = try load(
            """
            websocket:
              ping: {interval: 61, timeout: 31}
              connection: {timeout: 121}
              reconnect: {delay: 1e9, max_delay: 601, max_attempts: 101}
              queue: {size: 10001, max_message_size: 1e12}
              proactive: {disconnect_check_interval: 61, reconnect_check_interval: 61, disconnect_margin: 3601}
            """)
        #expect(highWarnings.count == 11)
        #expect(high.pingInterval == .seconds(60))
        #expect(high.pingTimeout == .seconds(30))
        #expect(high.connectionTimeout == .seconds(120))
        #expect(high.reconnectDelay == .seconds(300))
        #expect(high.maxReconnectDelay == .seconds(600))
        #expect(high.maxReconnectAttempts == 100)
        #expect(high.queueSize == 10_000)
        #expect(high.maxMessageSize == 1 << 30)
        #expect(high.disconnectCheckInterval == .seconds(60))
        #expect(high.reconnectCheckInterval == .seconds(60))
        #expect(high.disconnectMargin == .seconds(3600))
    }

    @Test("Values on the bounds are kept without a warning")
    func onTheBounds() throws {
        let (config, warnings) = try load(
            """
            websocket:
              ping: {interval: 5, timeout: 30}
              reconnect: {delay: 0, max_attempts: 100}
              queue: {size: 0, max_message_size: 1024}
              proactive: {reconnect_check_interval: 0.5, disconnect_margin: 3600}
            """)
        #expect(warnings.isEmpty)
        #expect(config.pingInterval == .seconds(5))
        #expect(config.pingTimeout == .seconds(30))
        #expect(config.reconnectDelay == .zero)
        #expect(config.maxReconnectAttempts == 100)
        #expect(config.queueSize == 0)
        #expect(config.maxMessageSize == 1024)
        #expect(config.reconnectCheckInterval == .milliseconds(500))
        #expect(config.disconnectMargin == .seconds(3600))
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

    // MARK: Wrong types

    @Test(
        "A value of the wrong type is an error naming key, file and value",
        arguments: [
            // (yaml under websocket:, key, value as written)
            ("ping: {interval: fast}", "websocket.ping.interval", "fast"),
            ("ping: {timeout: \"20\"}", "websocket.ping.timeout", "20"),
            ("ping: {timeout: [1, 2]}", "websocket.ping.timeout", "[1, 2]"),
            ("ping: {interval: .nan}", "websocket.ping.interval", ".nan"),
            ("connection: {timeout: true}", "websocket.connection.timeout", "true"),
            ("reconnect: {auto: [true]}", "websocket.reconnect.auto", "[true]"),
            ("reconnect: {auto: yes}", "websocket.reconnect.auto", "yes"),
            ("reconnect: {auto: 1}", "websocket.reconnect.auto", "1"),
            ("reconnect: {strategy: 3}", "websocket.reconnect.strategy", "3"),
            ("reconnect: {strategy: linear}", "websocket.reconnect.strategy", "linear"),
            ("reconnect: {max_attempts: 2.5}", "websocket.reconnect.max_attempts", "2.5"),
            ("reconnect: {max_attempts: ten}", "websocket.reconnect.max_attempts", "ten"),
            ("queue: {size: {max: 3}}", "websocket.queue.size", "{max: 3}"),
            ("queue: {policy: drop_everything}", "websocket.queue.policy", "drop_everything"),
            ("queue: {policy: false}", "websocket.queue.policy", "false"),
            ("queue: {max_message_size: 16MiB}", "websocket.queue.max_message_size", "16MiB"),
            ("proactive: {max_connection_age: -1}", "websocket.proactive.max_connection_age", "-1"),
            ("proactive: {max_connection_age: 1 day}", "websocket.proactive.max_connection_age", "1 day"),
            ("compression: {enabled: \"true\"}", "websocket.compression.enabled", "true"),
            ("ping: 20", "websocket.ping", "20"),
            ("reconnect: [fixed_delay]", "websocket.reconnect", "[fixed_delay]"),
        ])
    func wrongType(section: String, key: String, value: String) throws {
        let error = try #require(loadError("websocket: {\(section)}", source: "/etc/kstlib.conf.yml"))
        #expect(error.key == key)
        #expect(error.file == "/etc/kstlib.conf.yml")
        #expect(error.value == value)
        #expect(error.message.hasPrefix("expected ") || error.message.hasPrefix("unknown value"))
    }

    @Test("The error message says what was expected and what was found")
    func wrongTypeMessages() throws {
        let number = try #require(loadError("websocket: {ping: {interval: fast}}"))
        #expect(number.message == "expected a number of seconds, got a string")
        #expect(
            number
                == WebSocketConfigurationError(
                    "expected a number of seconds, got a string", key: "websocket.ping.interval", file: "test.yml",
                    value: "fast"))
        #expect(number.description.contains("key=websocket.ping.interval"))
        #expect(number.description.contains("file=test.yml"))

        let strategy = try #require(loadError("websocket: {reconnect: {strategy: linear}}"))
        #expect(
            strategy.message
                == "unknown value, expected one of immediate, fixed_delay, exponential_backoff, callback_controlled")

        let policy = try #require(loadError("websocket: {queue: {policy: 1}}"))
        #expect(policy.message == "expected one of backpressure, drop_newest, drop_oldest, fail, got an integer")

        let yes = try #require(loadError("websocket: {reconnect: {auto: no}}"))
        #expect(yes.message.hasPrefix("expected true or false, got the YAML 1.1 boolean word no"))

        // It is a WebSocketError and a KstlibError, so hierarchy-wide catches see it.
        let any: any Error = number
        #expect(any is any WebSocketError)
        #expect(any is any KstlibError)
    }

    @Test("The first wrong value stops the load; values before it do not leak out")
    func noPartialResult() throws {
        #expect(throws: WebSocketConfigurationError.self) {
            _ = try load("websocket: {ping: {interval: 30}, queue: {size: lots}}")
        }
    }

    // MARK: Invalid files

    @Test(
        "Invalid YAML is an error with an empty key",
        arguments: [
            "websocket: [unclosed\n",
            "websocket:\n  ping: {interval: 5\n",
            "websocket:\n\tping: 5\n",
            "websocket:\n  ping: {interval: 5}\n  ping: {interval: 6}\n",
            "websocket: *undefined\n",
        ])
    func invalidYAML(yaml: String) throws {
        let error = try #require(loadError(yaml, source: "bad.yml"))
        #expect(error.key == "")
        #expect(error.file == "bad.yml")
        #expect(error.value == "")
        #expect(error.message.hasPrefix("invalid YAML: "))
        #expect(!error.message.contains("\n"))
    }

    @Test(
        "A document that is not a mapping is an error with an empty key",
        arguments: [
            "- websocket\n- ping\n",
            "just words\n",
        ])
    func notAMapping(yaml: String) throws {
        let error = try #require(loadError(yaml))
        #expect(error.key == "")
        #expect(error.message.hasPrefix("the configuration file must be a mapping of sections"))
    }

    @Test("A missing file is an error naming the file")
    func missingFile() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("kstlib-no-such-\(UUID().uuidString).yml").path
        let error = #expect(throws: WebSocketConfigurationError.self) {
            _ = try WebSocketConfiguration(contentsOfFile: path)
        }
        #expect(error?.file == path)
        #expect(error?.key == "")
        #expect(error?.message == "cannot read the configuration file: no such file")

        let directory = FileManager.default.temporaryDirectory.path
        let notAFile = #expect(throws: WebSocketConfigurationError.self) {
            _ = try WebSocketConfiguration(contentsOfFile: directory)
        }
        #expect(
            notAFile
                == WebSocketConfigurationError(
                    "cannot read the configuration file: it is a directory", file: directory))
    }

    // MARK: Files and precedence

    @Test("A real file is read, and explicit values set afterwards win unclamped")
    func realFileAndPrecedence() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("kstlib-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("kstlib.conf.yml").path
        try """
        websocket:
          ping:
            interval: 30
            timeout: 1          # clamped to 5
          reconnect:
            strategy: immediate
        """.write(toFile: path, atomically: true, encoding: .utf8)

        var warnings: [String] = []
        var config = try WebSocketConfiguration(contentsOfFile: path, warn: { warnings.append($0) })
        // defaults < file
        #expect(config.pingInterval == .seconds(30))
        #expect(config.pingTimeout == .seconds(5))
        #expect(config.reconnectStrategy == .immediate)
        #expect(config.queueSize == 1000)
        #expect(warnings.count == 1)
        #expect(warnings.first?.hasPrefix("\(path): websocket.ping.timeout = 1 ") == true)

        // file < explicit, and explicit values are not clamped.
        config.pingInterval = .seconds(3)
        config.pingTimeout = .milliseconds(100)
        #expect(config.pingInterval == .seconds(3))
        #expect(config.pingTimeout == .milliseconds(100))

        // The public initializer (warnings to the default logger) reads the same values.
        let logged = try WebSocketConfiguration(contentsOfFile: path)
        #expect(logged.pingInterval == .seconds(30))
        #expect(logged.pingTimeout == .seconds(5))
    }

    @Test("A file with a wrong type names the file's path")
    func wrongTypeInFile() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("kstlib-config-\(UUID().uuidString).yml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "websocket:\n  queue:\n    size: lots\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: WebSocketConfigurationError.self) {
            _ = try WebSocketConfiguration(contentsOfFile: path)
        }
        #expect(
            error
                == WebSocketConfigurationError(
                    "expected a whole number, got a string", key: "websocket.queue.size", file: path, value: "lots"))
    }

    @Test("A file that is not UTF-8 is an error")
    func notUTF8() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("kstlib-config-\(UUID().uuidString).yml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data([0x77, 0x73, 0x3A, 0x20, 0xFF, 0xFE, 0x0A]).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: WebSocketConfigurationError.self) {
            _ = try WebSocketConfiguration(contentsOfFile: path)
        }
        #expect(error?.file == path)
        #expect(error?.key == "")
    }

    @Test("The public YAML initializer uses the source name in errors")
    func publicYAMLInit() throws {
        let config = try WebSocketConfiguration(yaml: "websocket: {queue: {size: 5}}")
        #expect(config.queueSize == 5)
        let error = #expect(throws: WebSocketConfigurationError.self) {
            _ = try WebSocketConfiguration(yaml: "websocket: {queue: {size: x}}", source: "inline")
        }
        #expect(error?.file == "inline")
        let unnamed = #expect(throws: WebSocketConfigurationError.self) {
            _ = try WebSocketConfiguration(yaml: "websocket: {queue: {size: x}}")
        }
        #expect(unnamed?.file == "<string>")
    }
}
