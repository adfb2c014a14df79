// Loading WebSocketConfiguration from a file: values out of bounds clamped with a warning, values on
// them kept.
import Testing
@testable import KstlibWebSocket

@Suite("Configuration file: clamping to the bounds", .timeLimit(.minutes(3)))
struct ConfigurationFileClampingTests: ConfigurationFileLoading {
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
}
