// Endpoint: which behaviour a connection gets, chosen from the path and query of its upgrade request.
//
// Pure Swift (no libwebsockets types) so the routing rules can be read and tested on their own.

/// The behaviour of one connection, selected by the URI path of the upgrade request.
enum Endpoint: Equatable {
    /// `/echo`: every message comes back with the same type and content.
    case echo
    /// `/control`: echoes, but `close <code> <reason>`, `drop` and `send <n>` are commands.
    case control
    /// `/ticker`: a stream of JSON quotes, plus subscribe / unsubscribe requests.
    case ticker(TickerOptions)
    /// `/push`: `count` messages of `size` bytes as fast as the client reads, then close 1000.
    case push(PushOptions)
    /// `/feed`: the server-wide numbered sequence `{"seq":n,"ts":...}`, broadcast to every
    /// `/feed` connection; subscribe / unsubscribe requests are acknowledged.
    case feed(FeedOptions)
    /// `/topics`: `{"topic":"T","seq":n}` per subscribed topic, under the server's
    /// ``ExchangeLimits``.
    case topics(TopicsOptions)
    /// `/close`: a close frame right after the handshake.
    case close(code: UInt16, reason: String)
    /// `/drop`: the TCP connection is dropped right after the handshake, without a close frame.
    case drop

    /// Selects the endpoint for `path` (without its query) and the decoded query arguments.
    /// Returns nil for an unknown path: the upgrade is then refused.
    init?(path: String, query: [String: String]) {
        var path = path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        switch path {
        case "/echo":
            self = .echo
        case "/control":
            self = .control
        case "/ticker":
            self = .ticker(TickerOptions(query: query))
        case "/push":
            self = .push(PushOptions(query: query))
        case "/feed":
            self = .feed(FeedOptions(query: query))
        case "/topics":
            self = .topics(TopicsOptions(query: query))
        case "/close":
            let code = query["code"].flatMap { UInt16($0) } ?? 1000
            self = .close(code: code, reason: query["reason"] ?? "")
        case "/drop":
            self = .drop
        default:
            return nil
        }
    }
}

/// Query parameters of `/ticker?rate=R&count=N&symbol=S`.
struct TickerOptions: Equatable {
    /// Quotes per second; 0 means as fast as the socket takes them.
    var rate: Double = 10
    /// Quotes to send before closing with 1000; 0 means unlimited.
    var count: Int = 0
    /// The `symbol` field of every quote.
    var symbol: String = "BTCUSDT"

    init(rate: Double = 10, count: Int = 0, symbol: String = "BTCUSDT") {
        self.rate = rate
        self.count = count
        self.symbol = symbol
    }

    init(query: [String: String]) {
        if let rate = query["rate"].flatMap({ Double($0) }), rate.isFinite {
            self.rate = max(0, rate)
        }
        if let count = query["count"].flatMap({ Int($0) }) {
            self.count = max(0, count)
        }
        if let symbol = query["symbol"], !symbol.isEmpty {
            self.symbol = symbol
        }
    }
}

/// Query parameters of `/feed?rate=R`.
struct FeedOptions: Equatable {
    /// Messages per second when the query has no usable rate.
    static let defaultRate: Double = 100
    /// The highest rate accepted; larger values are clamped to it.
    static let maxRate: Double = 50_000

    /// Messages per second of the server-wide sequence, in 0 < rate <= maxRate.
    var rate: Double = defaultRate

    init(rate: Double = defaultRate) {
        self.rate = Self.accepted(rate)
    }

    /// `rate` missing, unparsable, not finite, zero or negative gives the default rate.
    init(query: [String: String]) {
        rate = Self.accepted(query["rate"].flatMap { Double($0) } ?? Self.defaultRate)
    }

    private static func accepted(_ rate: Double) -> Double {
        guard rate.isFinite, rate > 0 else { return defaultRate }
        return min(rate, maxRate)
    }
}

/// Query parameters of `/push?count=N&size=S&binary=1`.
struct PushOptions: Equatable {
    /// Upper bound on `size`, so a typo cannot make the server allocate gigabytes.
    static let maxSize = 64 << 20

    /// Messages to send before closing with 1000.
    var count: Int = 100
    /// Bytes per message.
    var size: Int = 1024
    /// Binary messages when true, else text made of ASCII letters.
    var binary: Bool = false

    init(count: Int = 100, size: Int = 1024, binary: Bool = false) {
        self.count = count
        self.size = size
        self.binary = binary
    }

    init(query: [String: String]) {
        if let count = query["count"].flatMap({ Int($0) }) {
            self.count = max(0, count)
        }
        if let size = query["size"].flatMap({ Int($0) }) {
            self.size = min(max(0, size), Self.maxSize)
        }
        if let binary = query["binary"] {
            self.binary = binary == "1" || binary == "true"
        }
    }
}
