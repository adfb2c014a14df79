// proactive-trading: rotate the connection away from candle closes, on the application's terms.
//
// A trading system must never be reconnecting when a candle closes. This example streams quotes
// from the embedded ticker and lets two callbacks decide: `shouldDisconnect` says yes only when
// the connection is old enough AND the next candle close is far away; `shouldReconnect` opens the
// window again at once (a real system might wait for the quiet half of the candle). Candles close
// every simulated minute; a fast simulated clock (1 real second = 30 simulated seconds) makes a
// full disconnect/reconnect cycle show in seconds. The clock goes in through
// `WebSocketManager(url:configuration:clock:)`, so every check interval and delay follows it.
//
// Run: swift run proactive-trading     (no arguments: uses the embedded local server, ~6 s)
// Exits 0 after two proactive rotations with no reactive disconnect, 1 otherwise.
import Foundation
import KstlibWebSocket
import KstlibWebSocketServer
import Synchronization

/// A clock that runs `speed` times faster than real time: the manager's checks and delays go
/// through it, so minutes of trading session pass in seconds.
struct AcceleratedClock: Clock {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    let speed: Int
    let start = ContinuousClock.now
    var now: Instant { Instant(offset: (ContinuousClock.now - start) * speed) }
    var minimumResolution: Duration { .milliseconds(1) }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let remaining = now.duration(to: deadline)
        if remaining > .zero { try await Task.sleep(for: remaining / speed) }
    }
}

let clock = AcceleratedClock(speed: 30)
let candle: Duration = .seconds(60)
let connectedAt = Mutex(clock.now)

/// Simulated time until the next candle close.
func untilCandleClose() -> Duration {
    let elapsed = clock.now.offset
    let intoCandle = Duration.seconds(Int(elapsed.components.seconds) % 60)
    return candle - intoCandle
}

let server = try EmbeddedWebSocketServer()
var config = WebSocketConfiguration()
config.disconnectCheckInterval = .seconds(5)
config.reconnectCheckInterval = .seconds(2)
config.shouldDisconnect = {
    let age = connectedAt.withLock { clock.now.offset - $0.offset }
    let safe = untilCandleClose() > .seconds(20)
    return age >= .seconds(90) && safe
}
config.shouldReconnect = { .now }
config.onConnect = {
    connectedAt.withLock { $0 = clock.now }
    print(
        String(
            format: "[t=%5.0fs] connected (next candle close in %2llds)", Double(clock.now.offset.components.seconds),
            untilCandleClose().components.seconds))
}
config.onDisconnect = { reason in
    print(
        String(
            format: "[t=%5.0fs] disconnected: %@ (next candle close in %2llds)",
            Double(clock.now.offset.components.seconds), "\(reason)", untilCandleClose().components.seconds))
}

let ws = WebSocketManager(url: server.url("/ticker?rate=20&symbol=BTCUSDT"), configuration: config, clock: clock)
try await ws.connect()
var received = 0
for try await _ in ws.stream() {
    received += 1
    if ws.stats.proactiveDisconnects >= 2 && ws.isConnected { break }
}
await ws.close()
server.stop()
let stats = ws.stats
print(
    "done: \(received) messages, \(stats.connects) connects, \(stats.proactiveDisconnects) proactive and \(stats.reactiveDisconnects) reactive disconnects"
)
exit(stats.proactiveDisconnects >= 2 && stats.reactiveDisconnects == 0 ? 0 : 1)
