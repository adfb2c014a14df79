// feed-service: keeps a WebSocket manager subscribed to a quote feed and serves the latest quote.
//
// What it shows: kstlib-swift inside a Swift server application. One ServiceGroup runs the
// WebSocketManager (a Service: it connects, and on SIGTERM closes with 1001), the QuoteTracker
// reading its stream, and a Hummingbird application serving GET /quote and GET /metrics (the
// manager's swift-metrics, in Prometheus' text format). With no --ws-url it starts the embedded
// server and follows its /ticker.
//
// Run:
//   swift run feed-service                       # embedded ticker, http://127.0.0.1:8080
//   curl -s localhost:8080/quote; curl -s localhost:8080/metrics
//
// Exits 0 after SIGTERM or SIGINT, once the connection is closed with 1001.
import ArgumentParser
import Foundation
import Hummingbird
import KstlibWebSocket
import KstlibWebSocketServer
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

@main
struct FeedService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feed-service",
        abstract: "Serve the latest quote of a WebSocket feed over HTTP, with Prometheus metrics.")

    @Option(help: "The feed's ws:// or wss:// URL (default: the embedded server's ticker).")
    var wsURL: String?

    @Option(help: "The channel to subscribe to.")
    var channel = "BTCUSDT"

    @Option(help: "The HTTP port (0 picks a free one; the port is printed).")
    var port = 8080

    func run() async throws {
        // Logs to standard error: standard output carries the service's own lines.
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let logger = Logger(label: "feed-service")
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        let server = try wsURL == nil ? EmbeddedWebSocketServer() : nil
        defer { server?.stop() }
        var config = WebSocketConfiguration()
        config.metrics = .init(label: "feed")
        let feed = WebSocketManager(url: wsURL ?? server!.url("/ticker?rate=20"), configuration: config)
        let quotes = QuoteBook()
        let tracker = QuoteTracker(feed: feed, channel: channel, quotes: quotes)
        let app = Application(
            router: HTTPRoutes.router(quotes: quotes, registry: registry),
            configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in
                say("listening on http://127.0.0.1:\(channel.localAddress?.port ?? 0)")
            },
            logger: logger)
        // Shut down in reverse order: HTTP first, then the tracker, then the feed's 1001 close.
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: feed), .init(service: tracker), .init(service: app)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        say("stopped: \(feed.lastClose?.description ?? "never connected")")
    }
}

/// A line on standard output, written at once (unbuffered): the output is a pipe when a test
/// or a supervisor reads it.
func say(_ line: String) {
    // A reader that went away is not a reason to crash while shutting down.
    try? FileHandle.standardOutput.write(contentsOf: Data((line + "\n").utf8))
}
