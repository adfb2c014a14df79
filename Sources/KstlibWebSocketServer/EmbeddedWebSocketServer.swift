// EmbeddedWebSocketServer: the public face of the embedded libwebsockets websocket server that
// the demo, the examples, the tests and the benchmarks talk to.
//
// Endpoints (chosen by the path of the upgrade request; any other path is refused):
// - `/echo`: echoes every message, same type and bytes; large messages go back in 16 KiB frames
//   (bigger beyond 16 MiB, so no message exceeds 1024 frames). Messages over 256 MiB get 1009.
// - `/control`: echoes, but the text commands `close <code> <reason...>`, `drop` and `send <n>`
//   make the server close, drop the TCP connection, or send n messages `{"seq":k}`.
// - `/ticker?rate=R&count=N&symbol=S`: JSON quotes `{"seq":1,"symbol":"BTCUSDT","price":...,
//   "ts":...}` at R per second (default 10; 0 = as fast as the socket takes them), then close
//   1000 after N (default 0 = unlimited). Accepts subscribe / unsubscribe requests.
// - `/push?count=N&size=S&binary=1`: N messages of S bytes as fast as possible, then close 1000.
// - `/feed?rate=R`: ONE numbered sequence per server, broadcast to every `/feed` connection. The
//   server keeps a single counter and produces message n (n = 1, 2, 3... over the server's life,
//   shared by all /feed connections; from `feedSequenceStart` + 1 when one is given) as text
//   `{"seq":n,"ts":S}`, S = seconds since the server started when n was produced, with 6
//   decimals. R per second (default 100, at most 50,000; 0, negative or unparsable = default),
//   paced by one timer on the context that produces every message due since the feed started
//   (floor(elapsed * R)), so high rates stay exact. A
//   connection gets every message produced while it is open, in order and without gaps, and
//   nothing from before it joined. Each connection has its own send queue, so a slow reader
//   delays nobody else; one with more than 100,000 messages pending is dropped (no close
//   frame). The feed runs while at least one /feed connection is open, at the rate of the one
//   that started it (a later joiner's R is ignored meanwhile); with none open it pauses and the
//   next run continues the count. Subscribe / unsubscribe requests are acknowledged as on
//   /ticker (`{"type":"subscribed","channel":"X"}`) and change nothing. `feedSequence` is the
//   last n produced.
// - `/topics?rate=R`: exchange-style: subscribe / unsubscribe (as on /ticker, several topics per
//   Binance-style request) and get `{"topic":"T","seq":n}` R times per second (default 1) per
//   subscribed topic, n counted per topic over the server. Enforces the server's ExchangeLimits
//   (a violation closes with 1008 and a reason, and is recorded).
// - `/close?code=C&reason=R`: a close frame (default 1000, "") right after the handshake.
// - `/drop`: the TCP connection is dropped right after the handshake, without a close frame.
// Any other path gets `HTTP/1.1 404`. permessage-deflate is negotiated when the client offers
// it. Subprotocols: none needed; "kstlib-test", "chat" and "superchat" are accepted.
// With `tls:` the same endpoints are served over wss:// only (plain ws:// is refused), and with
// a client CA the TLS handshake also requires a client certificate that CA issued.
import Foundation
import KstlibLibWebSockets

/// A websocket server on its own libwebsockets context and service thread, listening on
/// loopback by default. Create one per test; `stop()` (or deinit) shuts it down.
public final class EmbeddedWebSocketServer: Sendable {
    /// Whether the server negotiates permessage-deflate. Not on libwebsockets 4.5 and later:
    /// their server-side inflater fails on the client's compressed messages ("rx buffer
    /// underflow", the connection dropped), which is libwebsockets' server, not the client under
    /// test; the client's compression is tested against Python `websockets` and the raw server.
    public static let offersCompression = !LibraryVersion.isAtLeast(4, 5)

    /// How long `stop()` waits for clients to answer the 1001 close before dropping them.
    private static let stopGracePeriod = DispatchTimeInterval.seconds(2)

    private let loop: ServerLoop
    /// The address clients connect to (a wildcard listen address maps to loopback).
    private let connectHost: String

    /// The port the server listens on (the one picked by the system when 0 was asked).
    public let port: Int

    /// The server's TLS settings; nil for a plain ws:// server.
    public let tls: EmbeddedServerTLS?

    /// Starts listening on `host`:`port` (port 0 = pick a free port) on its own libwebsockets
    /// context and its own service thread. `host` is a numeric IPv4 or IPv6 address
    /// ("127.0.0.1", "::1") or "localhost". With `tls`, connections are wss:// only. Throws
    /// EmbeddedServerError if the context or the listening vhost cannot be created (port in
    /// use, address not local, unreadable or mismatched certificate and key...).
    /// `feedSequenceStart` is where the /feed counter starts (its first message is
    /// `feedSequenceStart + 1`), so successive servers on one port can number their feeds apart:
    /// a client that sees a server restart can then tell a new server's message from a repeat.
    public init(
        host: String = "127.0.0.1", port: Int = 0, tls: EmbeddedServerTLS? = nil, feedSequenceStart: Int = 0,
        limits: ExchangeLimits? = nil
    ) throws {
        var listenHost = host
        if listenHost.hasPrefix("["), listenHost.hasSuffix("]") {
            listenHost = String(listenHost.dropFirst().dropLast())
        }
        if listenHost == "localhost" {
            listenHost = "127.0.0.1"
        }
        guard (0...65535).contains(port) else {
            throw EmbeddedServerError(message: "invalid port \(port)")
        }
        try tls?.checkReadable()
        self.tls = tls
        switch listenHost {
        case "0.0.0.0": connectHost = "127.0.0.1"
        case "::": connectHost = "::1"
        default: connectHost = listenHost
        }
        loop = ServerLoop(
            host: listenHost, port: port, tls: tls, feedSequenceStart: feedSequenceStart, limits: limits)
        self.port = try loop.start()
    }

    deinit {
        stop()
    }

    /// The websocket URL of `path` on this server, e.g. `ws://127.0.0.1:PORT/echo`
    /// (`ws://[::1]:PORT/echo` for IPv6, `wss://` with TLS). `path` may carry a query.
    public func url(_ path: String = "/echo") -> String {
        let host = connectHost.contains(":") ? "[\(connectHost)]" : connectHost
        let path = path.hasPrefix("/") ? path : "/" + path
        return "\(tls == nil ? "ws" : "wss")://\(host):\(port)\(path)"
    }

    /// Websocket connections currently open.
    public var connectionCount: Int {
        loop.statistics.open.load(ordering: .relaxed)
    }

    /// The fewest websocket connections that were open right after one closed, since the last
    /// ``markLowestConnectionCount()``; the count at the mark when none closed since. How a test
    /// checks that clients never all went away at once.
    public var lowestConnectionCount: Int {
        min(loop.statistics.lowestOpen.load(ordering: .relaxed), connectionCount)
    }

    /// Starts ``lowestConnectionCount`` again from the connections open now.
    public func markLowestConnectionCount() {
        loop.statistics.lowestOpen.store(connectionCount, ordering: .relaxed)
    }

    /// Websocket connections accepted since the server started.
    public var totalConnections: Int {
        loop.statistics.accepted.load(ordering: .relaxed)
    }

    /// The last /feed message number produced (`feedSequenceStart` before the first). Readable
    /// from any thread.
    public var feedSequence: Int {
        loop.statistics.feedSequence.load(ordering: .relaxed)
    }

    /// Client certificates refused by the TLS handshake because no trusted CA issued them
    /// (with `EmbeddedServerTLS.clientCATrustPath`); a handshake without any certificate is
    /// refused by OpenSSL before this check and is not counted.
    public var rejectedClientCertificates: Int {
        loop.statistics.rejectedClientCertificates.load(ordering: .relaxed)
    }

    /// The codes of the close frames clients sent, oldest first (1005 for a frame without one):
    /// how a test checks that a client said goodbye with 1000 or 1001.
    public var receivedCloseCodes: [UInt16] {
        loop.statistics.peerCloseCodes.withLock { $0 }
    }

    // MARK: Exchange limits and /topics

    /// The limits broken by clients, oldest first (see ``ExchangeLimits``).
    public var limitViolations: [LimitViolation] { loop.ledger.violations }

    /// The highest streams per connection, messages per second (per connection), topics per
    /// message, and new connections per window (per address) seen so far, limits or not: how
    /// close a client came to them.
    public var limitPeaks:
        (streamsPerConnection: Int, messagesPerSecond: Int, topicsPerMessage: Int, newConnectionsPerWindow: Int)
    {
        let peaks = loop.ledger.peaks
        return (
            peaks.streamsPerConnection, peaks.messagesPerSecond, peaks.topicsPerMessage, peaks.newConnectionsPerWindow
        )
    }

    /// `/topics` messages completely written per topic: what clients must have received, since
    /// messages still queued when a connection ended are not counted (a connection cut without
    /// a close frame may still lose the last ones written).
    public var topicMessagesSent: [String: Int] { loop.ledger.sent }

    /// The topics subscribed now over all `/topics` connections, with how many connections
    /// carry each.
    public var subscribedTopics: [String: Int] { loop.ledger.subscribed }

    /// Stops (`true`) or resumes `/topics` messages; acknowledgements still go out. Takes
    /// effect at each connection's next tick.
    public func pauseTopics(_ paused: Bool) {
        loop.ledger.paused.store(paused, ordering: .relaxed)
    }

    /// Kills every connection's TCP socket without a close frame: clients see an abnormal
    /// closure (1006). Asynchronous: returns before the sockets are closed.
    public func dropAllConnections() {
        loop.post(.dropAll)
    }

    /// Sends a close frame with `code` and `reason` (at most 123 UTF-8 bytes are kept) to every
    /// connection, ahead of anything still queued. Asynchronous.
    public func closeAllConnections(code: UInt16, reason: String) {
        loop.post(.closeAll(code: code, reason: reason))
    }

    /// Closes every connection with 1001 (dropping those that do not answer within 2 s),
    /// destroys the context on its service thread and waits for that thread to end.
    /// Idempotent; also called by deinit.
    public func stop() {
        loop.stop(grace: Self.stopGracePeriod)
    }
}
