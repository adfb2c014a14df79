// reconnect-demo: the server drops every connection twice; the stream carries on.
//
// Shows reactive recovery: auto-reconnect with backoff, the stream continuing across
// reconnects, and the statistics that count it all. The embedded server's
// `dropAllConnections()` cuts the TCP connections without a close frame, as a network failure
// would.
//
// Run: swift run reconnect-demo        (no arguments: uses the embedded local server, ~3 s)
// Exits 0 when both drops were followed by a reconnect, 1 otherwise.
import Foundation
import KstlibWebSocket
import KstlibWebSocketServer

let server = try EmbeddedWebSocketServer()
var config = WebSocketConfiguration()
config.reconnectStrategy = .exponentialBackoff
config.reconnectDelay = .milliseconds(100)
config.maxReconnectDelay = .seconds(1)
config.onDisconnect = { reason in print("  onDisconnect: \(reason)") }
config.onConnect = { print("  onConnect") }

let ws = WebSocketManager(url: server.url("/ticker?rate=100&symbol=BTCUSDT"), configuration: config)
try await ws.connect()
print("connected to \(ws.url)")

var received = 0
var kills = 0
for try await _ in ws.stream() {
    received += 1
    if received % 100 == 0 {
        print("received \(received) messages (state \(ws.state))")
        if kills < 2 {
            kills += 1
            print("server drops every connection (\(kills)/2)")
            server.dropAllConnections()
        } else {
            break
        }
    }
}
await ws.close()
server.stop()

let stats = ws.stats
print(
    """
    done: \(received) messages, \(stats.connects) connects, \(stats.reconnects) reconnects, \
    \(stats.reactiveDisconnects) reactive and \(stats.proactiveDisconnects) proactive disconnects
    """)
exit(stats.reconnects == 2 ? 0 : 1)
