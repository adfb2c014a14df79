// kstlib-ws: a WebSocket client for the terminal, in the spirit of websocat and wscat.
import ArgumentParser
import Foundation
import HTTPTypes
import KstlibWebSocket

@main
struct KstlibWS: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kstlib-ws",
        abstract: "A WebSocket client for the terminal: print what the server sends, send what you type.",
        discussion: """
            Each line read from standard input is sent as a text message; each message received is \
            printed on standard output (binary ones as hexadecimal). Connection events (connected, \
            disconnected, reconnected, closed) go to standard error, prefixed with "kstlib-ws:", so \
            the output stays pipeable. When standard input ends, the connection is closed with 1000; \
            Ctrl-C or SIGTERM close it with 1001 (going away). A dropped connection is re-established \
            with the chosen strategy, and the subscriptions are sent again.

            Examples:
              kstlib-ws wss://echo.example.com
              kstlib-ws --json --listen --subscribe BTCUSDT wss://stream.example.com/ws
              kstlib-ws --header "Authorization: Bearer $TOKEN" --subprotocol v2.stream wss://api.example.com/ws
              echo '{"op":"ping"}' | kstlib-ws --count 1 wss://api.example.com/ws
            """)

    @Argument(help: "The ws:// or wss:// URL to connect to.")
    var url: String

    @Flag(help: "Pretty-print messages that are JSON (keys sorted); others are printed as they are.")
    var json = false

    @Flag(name: .shortAndLong, help: "Only print: do not read standard input.")
    var listen = false

    @Option(help: "Exit after printing this many messages.")
    var count: Int?

    @Option(
        help: ArgumentHelp(
            "Subscribe to a channel once connected, and again after every reconnect (repeatable).",
            valueName: "channel"))
    var subscribe: [String] = []

    @Option(help: "How subscriptions are written: kstlib ({\"type\":\"subscribe\",...}) or binance.")
    var subscriptionFormat: SubscriptionStyle = .kstlib

    @Option(
        name: [.customShort("H"), .long],
        help: ArgumentHelp("An extra request header, 'Name: value' (repeatable).", valueName: "header"))
    var header: [String] = []

    @Option(help: ArgumentHelp("A subprotocol to offer, most preferred first (repeatable).", valueName: "name"))
    var subprotocol: [String] = []

    @Option(help: ArgumentHelp("A PEM file of CA certificates to trust as well (repeatable).", valueName: "file"))
    var ca: [String] = []

    @Flag(help: "Accept any server certificate: self-signed, unknown issuer, wrong host, expired. Testing only.")
    var insecure = false

    @Flag(inversion: .prefixedNo, help: "Reconnect when the connection drops.")
    var reconnect = true

    @Option(help: "How the delay between reconnection attempts grows.")
    var reconnectStrategy: StrategyChoice = .exponentialBackoff

    @Option(help: ArgumentHelp("The base delay between reconnection attempts.", valueName: "seconds"))
    var reconnectDelay: Double = 1

    @Option(help: "Attempts in a row before giving up.")
    var maxReconnectAttempts = 10

    @Option(help: ArgumentHelp("How long one connection attempt may take.", valueName: "seconds"))
    var connectTimeout: Double = 10

    func validate() throws {
        _ = try requestHeaders()
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        if reconnectDelay < 0 || connectTimeout <= 0 { throw ValidationError("delays and timeouts must be positive") }
    }

    func run() async throws {
        let session = Session(url: url, configuration: try makeConfiguration(), printer: MessagePrinter(json: json))
        let succeeded = await session.run(subscriptions: subscribe, readInput: !listen, count: count)
        if !succeeded { throw ExitCode.failure }
    }

    /// The manager's options, from the command line.
    func makeConfiguration() throws -> WebSocketConfiguration {
        var config = WebSocketConfiguration()
        config.additionalHeaders = try requestHeaders()
        config.subprotocols = subprotocol
        config.tls.additionalTrustRoots = ca.map { .file($0) }
        if insecure {
            config.tls.insecure = [.allowSelfSigned, .allowUnknownIssuer, .skipHostnameVerification, .allowExpired]
        }
        config.autoReconnect = reconnect
        config.reconnectStrategy = reconnectStrategy.strategy
        config.reconnectDelay = .seconds(reconnectDelay)
        config.maxReconnectAttempts = maxReconnectAttempts
        config.connectionTimeout = .seconds(connectTimeout)
        config.subscriptionFormat = subscriptionFormat.format
        return config
    }

    /// The `--header` values as HTTP fields; a malformed one is a usage error that names it.
    func requestHeaders() throws -> HTTPFields {
        var fields = HTTPFields()
        for text in header {
            guard let colon = text.firstIndex(of: ":"),
                let name = HTTPField.Name(String(text[..<colon]).trimmingCharacters(in: .whitespaces))
            else { throw ValidationError("--header '\(text)' is not 'Name: value' with a valid header name") }
            let value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            fields.append(HTTPField(name: name, value: value))
        }
        return fields
    }
}

/// `--subscription-format`.
enum SubscriptionStyle: String, ExpressibleByArgument, CaseIterable {
    case kstlib, binance

    var format: SubscriptionFormat { self == .kstlib ? .kstlib : .binance }
}

/// `--reconnect-strategy`, in the command line's kebab case.
enum StrategyChoice: String, ExpressibleByArgument, CaseIterable {
    case immediate
    case fixedDelay = "fixed-delay"
    case exponentialBackoff = "exponential-backoff"

    var strategy: ReconnectStrategy {
        switch self {
        case .immediate: return .immediate
        case .fixedDelay: return .fixedDelay
        case .exponentialBackoff: return .exponentialBackoff
        }
    }
}
