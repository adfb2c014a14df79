// echo-client: echoes every message back with the same type; exits 0 when the server closes.
//
// Run: swift run echo-client ws://127.0.0.1:9001/echo
// Conformance tools drive it: it accepts messages up to 64 MiB by default, sends no pings of
// its own, and prints the close code when the server ends the connection.
import ArgumentParser
import KstlibWebSocket

@main
struct EchoClient: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Echo every message back to a WebSocket server until it closes.")

    @Argument(help: "The ws:// or wss:// URL to connect to.")
    var url: String

    @Option(help: "Largest message accepted, in bytes.")
    var maxMessageSize = 64 * 1024 * 1024

    @Option(help: "Seconds between keepalive pings (0 = no pings).")
    var pingInterval = 0

    @Flag(help: "Do not offer permessage-deflate.")
    var noCompression = false

    @Flag(help: "Print each message's type and size.")
    var verbose = false

    func run() async throws {
        var config = WebSocketConfiguration()
        config.autoReconnect = false
        config.maxMessageSize = maxMessageSize
        config.pingInterval = pingInterval > 0 ? .seconds(pingInterval) : nil
        config.queueSize = 0
        config.connectionTimeout = .seconds(10)
        if noCompression { config.compression = .disabled }
        let ws = WebSocketManager(url: url, configuration: config)
        var echoed = 0
        do {
            try await ws.connect()
            for try await message in ws.stream() {
                if verbose { print("received \(message.text == nil ? "binary" : "text") \(message.bytes.count) bytes") }
                switch message {
                case .text(let text): try await ws.send(text)
                case .binary(let bytes): try await ws.send(bytes)
                }
                echoed += 1
            }
            print("closed: \(ws.lastClose?.description ?? "1000") after \(echoed) messages")
        } catch let error as any WebSocketError {
            print("closed: \(ws.lastClose?.description ?? "none") after \(echoed) messages: \(error)")
            throw ExitCode(1)
        }
    }
}
