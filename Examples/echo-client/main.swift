// echo-client: echoes every message back with the same type; exits 0 when the server closes.
//
// What it shows: the smallest complete client (connect, `stream()`, `send`, the close code in
// `lastClose`), and the one the conformance suite drives: it accepts messages up to 64 MiB by
// default, sends no pings of its own, and prints the close code when the server ends the
// connection. With no URL it starts an EmbeddedWebSocketServer, echoes 10 quotes of its
// `/ticker` back, and the server then closes with 1000.
//
// Run:
//   swift run echo-client                                # embedded server, 10 messages
//   swift run echo-client ws://127.0.0.1:9001/echo --verbose
//   make conformance                                     # the Autobahn client cases against it
//
// Exits 0 when the server closed the connection normally, 1 on any WebSocketError.
import ArgumentParser
import KstlibWebSocket
import KstlibWebSocketServer

@main
struct EchoClient: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Echo every message back to a WebSocket server until it closes.")

    @Argument(help: "The ws:// or wss:// URL to connect to (default: an embedded local server's ticker).")
    var url: String?

    @Option(help: "Largest message accepted, in bytes.")
    var maxMessageSize = 64 * 1024 * 1024

    @Option(help: "Seconds between keepalive pings (0 = no pings).")
    var pingInterval = 0

    @Flag(help: "Do not offer permessage-deflate.")
    var noCompression = false

    @Flag(help: "Print each message's type and size.")
    var verbose = false

    @Flag(help: "Print the libwebsockets this program runs on and what it guarantees, then exit.")
    var runtime = false

    func run() async throws {
        if runtime {
            let current = LibWebSocketsRuntime.current
            print("libwebsockets \(current.version) (compiled against \(current.compiledVersion))")
            print("pingReplies=\(current.pingReplies)")
            return
        }
        var config = WebSocketConfiguration()
        config.autoReconnect = false
        config.maxMessageSize = maxMessageSize
        config.pingInterval = pingInterval > 0 ? .seconds(pingInterval) : nil
        config.queueSize = 0
        config.connectionTimeout = .seconds(10)
        if noCompression { config.compression = .disabled }
        // Without a URL: an embedded server whose ticker we echo until it is told to close.
        let server = try url == nil ? EmbeddedWebSocketServer() : nil
        defer { server?.stop() }
        let target = url ?? server!.url("/ticker?rate=20&symbol=BTCUSDT")
        if server != nil { print("no URL given: echoing \(Self.embeddedCount) messages of \(target)") }
        let ws = WebSocketManager(url: target, configuration: config)
        var echoed = 0
        do {
            try await ws.connect()
            for try await message in ws.stream() {
                // Quotes already queued when the embedded server closed: the socket is closing.
                if server != nil, echoed >= Self.embeddedCount { continue }
                if verbose || server != nil {
                    print("received \(message.text == nil ? "binary" : "text") \(message.bytes.count) bytes")
                }
                try await ws.send(message)
                echoed += 1
                // Only after our last echo went out, so no echo can race the server's close.
                if let server, echoed == Self.embeddedCount {
                    server.closeAllConnections(code: 1000, reason: "done")
                }
            }
            print("closed: \(ws.lastClose?.description ?? "1000") after \(echoed) messages")
        } catch let error as any WebSocketError {
            print("closed: \(ws.lastClose?.description ?? "none") after \(echoed) messages: \(error)")
            throw ExitCode(1)
        }
    }

    /// How many messages are echoed when the embedded server is used.
    static let embeddedCount = 10
}
