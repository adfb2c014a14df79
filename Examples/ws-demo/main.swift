// ws-demo: streams live quotes over a WebSocket and prints the connection's statistics at the end.
//
// What it shows: a WebSocketManager connecting, subscribing, streaming JSON messages decoded with
// `message.decode(_:)`, closing with 1000, and the stats and close code it keeps. With no
// arguments it needs no network: it starts an EmbeddedWebSocketServer on 127.0.0.1 (a free port)
// and streams from its `/ticker?rate=20&symbol=BTCUSDT` endpoint, 20 quotes a second.
//
// Run:
//   swift run ws-demo                                  # embedded ticker, 40 messages
//   make demo                                          # the same, installing what is missing first
//   swift run ws-demo --count 5
//   swift run ws-demo --subscribe ETHUSDT --subscribe SOLUSDT
//   swift run ws-demo --url wss://stream.example.com/ws --count 10
//
// Exits 1 after printing the error when the connection fails or ends with an error.
import ArgumentParser
import Foundation
import KstlibWebSocket
import KstlibWebSocketServer

@main
struct WebSocketDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ws-demo",
        abstract: "Stream quotes from a WebSocket server (an embedded local one by default) and print the stats.")

    @Option(help: "Stream from this ws:// or wss:// URL instead of the embedded local server.")
    var url: String?

    @Option(help: "How many messages to print before closing.")
    var count = 40

    @Option(help: "A channel to subscribe to after connecting (repeatable).")
    var subscribe: [String] = []

    /// The ticker endpoint the embedded server serves.
    static let tickerPath = "/ticker?rate=20&symbol=BTCUSDT"

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be at least 1") }
    }

    func run() async throws {
        // The embedded server lives as long as this function; no server when --url is given.
        var server: EmbeddedWebSocketServer? = nil
        let target: String
        if let url {
            target = url
        } else {
            let embedded = try Self.startEmbeddedServer()
            server = embedded
            target = embedded.url(Self.tickerPath)
        }
        defer { server?.stop() }

        var config = WebSocketConfiguration()
        config.connectionTimeout = .seconds(10)
        config.closeTimeout = .seconds(2)
        config.maxReconnectAttempts = 3
        config.reconnectDelay = .milliseconds(500)

        print("connecting to \(target)")
        let ws = WebSocketManager(url: target, configuration: config)
        do {
            try await ws.connect()
            if !subscribe.isEmpty {
                try await ws.subscribe(subscribe)
                print("subscribed to \(subscribe.joined(separator: ", "))")
            }
            var printed = 0
            for try await message in ws.stream() {
                print(Self.line(for: message))
                printed += 1
                if printed >= count { break }
            }
            await ws.close()
            Self.printSummary(of: ws)
        } catch let error as any WebSocketError {
            await ws.close()
            print("WebSocket error: \(error)")
            Self.printSummary(of: ws)
            throw ExitCode.failure
        }
    }

    /// Starts the embedded server on a free loopback port; exits 1 when it cannot.
    static func startEmbeddedServer() throws -> EmbeddedWebSocketServer {
        do {
            let server = try EmbeddedWebSocketServer(host: "127.0.0.1", port: 0)
            print("embedded server listening on 127.0.0.1:\(server.port)")
            return server
        } catch {
            print("cannot start the embedded server: \(error)")
            throw ExitCode.failure
        }
    }

    /// One readable line per message: `seq  symbol  price` for a quote, the raw text otherwise.
    static func line(for message: WebSocketMessage) -> String {
        guard let quote = try? message.decode(Quote.self) else { return message.description }
        var line = "\(pad(String(quote.seq), 6))  \(pad(quote.symbol, 10))  \(String(format: "%.2f", quote.price))"
        if let channel = quote.channel { line += "  [\(channel)]" }
        return line
    }

    /// Left-aligns `text` in a column of `width` characters.
    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    static func printSummary(of ws: WebSocketManager) {
        let stats = ws.stats
        print(
            "stats: connects=\(stats.connects) received=\(stats.messagesReceived) sent=\(stats.messagesSent)"
                + " bytesReceived=\(stats.bytesReceived) bytesSent=\(stats.bytesSent)"
                + " uptime=\(stats.uptime.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 2))))")
        print("close: \(ws.lastClose?.description ?? "none")")
    }
}

/// A quote as the ticker sends it: `{"seq":1,"symbol":"BTCUSDT","price":42000.5,"ts":...}`,
/// with `"channel"` when channels are subscribed.
struct Quote: Decodable {
    let seq: Int
    let symbol: String
    let price: Double
    let channel: String?
}
