// The service that subscribes the feed and keeps its latest quote.
import KstlibWebSocket
import ServiceLifecycle

/// Reads the manager's stream into the ``QuoteBook`` until the group shuts down.
struct QuoteTracker: Service {
    let feed: WebSocketManager
    let channel: String
    let quotes: QuoteBook

    func run() async throws {
        // The manager connects in its own run(); the subscription is re-sent after reconnects.
        guard await feed.waitConnected(timeout: .seconds(30)) else { return }
        try await feed.subscribe(channel)
        // Stops on graceful shutdown, before the manager closes: its stream ends only then.
        for try await message in feed.stream().cancelOnGracefulShutdown() {
            guard let text = message.text, text.contains("\"price\"") else { continue }
            if quotes.record(text) { say("first quote: \(text)") }
        }
    }
}
