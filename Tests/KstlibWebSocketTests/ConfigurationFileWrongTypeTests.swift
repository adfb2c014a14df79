// Loading WebSocketConfiguration from a file: a value of the wrong type is an error naming key, file
// and value.
import Testing
@testable import KstlibWebSocket

@Suite("Configuration file: values of the wrong type", .timeLimit(.minutes(3)))
struct ConfigurationFileWrongTypeTests: ConfigurationFileLoading {
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
}
