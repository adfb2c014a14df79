// Loading WebSocketConfiguration from a file: the defaults when nothing is set, and the table of bounds.
import Testing
@testable import KstlibWebSocket

@Suite("Configuration file: defaults and bounds", .timeLimit(.minutes(3)))
struct ConfigurationFileDefaultsTests: ConfigurationFileLoading {
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
}
