// libFuzzer target: the kstlib.conf.yml loader (Yams, then the websocket: section reader).
import FuzzSupport
@_spi(Fuzzing) import KstlibWebSocket

/// The keys the loader knows, so half the inputs aim their value straight at one of them.
private let keys: [(section: String, key: String)] = [
    ("ping", "interval"), ("ping", "timeout"), ("connection", "timeout"), ("reconnect", "auto"),
    ("reconnect", "strategy"), ("reconnect", "delay"), ("reconnect", "max_delay"),
    ("reconnect", "max_attempts"), ("queue", "size"), ("queue", "policy"),
    ("queue", "max_message_size"), ("proactive", "disconnect_check_interval"),
    ("proactive", "reconnect_check_interval"), ("proactive", "disconnect_margin"),
    ("proactive", "max_connection_age"), ("compression", "enabled"), ("compression", "client_max_window_bits"),
    ("compression", "client_no_context_takeover"),
]

private let source = "fuzz.conf.yml"

/// Loads the input as YAML, either as a whole file (even first byte) or as the value of one
/// known key (odd first byte), and checks the loader's promises: the only error is a
/// `WebSocketConfigurationError` naming this source and a `websocket` key (or none), and a
/// successful load holds only values inside the documented bounds.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let yaml: String
    if input.flag() {
        let (section, key) = keys[input.number(below: keys.count)]
        yaml = "websocket:\n  \(section):\n    \(key): \(input.restAsString())\n"
    } else {
        yaml = input.restAsString()
    }
    do {
        let (configuration, warnings) = try FuzzingEntryPoints.configuration(yaml: yaml, source: source)
        check(configuration, yaml: yaml)
        for warning in warnings {
            invariant(warning.hasPrefix("\(source): "), "warning without the source: \(warning)")
        }
    } catch let error as WebSocketConfigurationError {
        invariant(error.file == source, "error names file \(error.file): \(error)")
        invariant(!error.message.isEmpty, "error without a message: \(error)")
        invariant(
            error.key.isEmpty || error.key == "websocket" || error.key.hasPrefix("websocket."),
            "error names key \(error.key): \(error)")
    } catch {
        invariant(false, "error of type \(type(of: error)): \(error) for\n\(yaml)")
    }
    return 0
}

private func check(_ configuration: WebSocketConfiguration, yaml: String) {
    typealias Bounds = WebSocketConfiguration.Bounds
    func inside<T: Comparable>(_ value: T, _ bounds: ClosedRange<T>, _ name: String) {
        invariant(bounds.contains(value), "\(name) = \(value) outside \(bounds) after loading\n\(yaml)")
    }
    if let pingInterval = configuration.pingInterval { inside(pingInterval, Bounds.pingInterval, "pingInterval") }
    inside(configuration.pingTimeout, Bounds.pingTimeout, "pingTimeout")
    inside(configuration.connectionTimeout, Bounds.connectionTimeout, "connectionTimeout")
    inside(configuration.reconnectDelay, Bounds.reconnectDelay, "reconnectDelay")
    inside(configuration.maxReconnectDelay, Bounds.maxReconnectDelay, "maxReconnectDelay")
    inside(configuration.maxReconnectAttempts, Bounds.maxReconnectAttempts, "maxReconnectAttempts")
    inside(configuration.queueSize, Bounds.queueSize, "queueSize")
    inside(configuration.maxMessageSize, Bounds.maxMessageSize, "maxMessageSize")
    inside(configuration.disconnectCheckInterval, Bounds.disconnectCheckInterval, "disconnectCheckInterval")
    inside(configuration.reconnectCheckInterval, Bounds.reconnectCheckInterval, "reconnectCheckInterval")
    inside(configuration.disconnectMargin, Bounds.disconnectMargin, "disconnectMargin")
    inside(configuration.compression.clientMaxWindowBits, Bounds.clientMaxWindowBits, "clientMaxWindowBits")
    if let age = configuration.maxConnectionAge {
        // Positive, and at most the documented 1e9 s (a Duration of 2^63 s traps when printed).
        inside(age, .nanoseconds(1)...(.seconds(1_000_000_000)), "maxConnectionAge")
    }
}
