// Every option of a WebSocketManager, named after kstlib.websocket's options.
public import HTTPTypes
public import Logging

/// The options of a ``WebSocketManager``.
///
/// Names follow kstlib.websocket's options in lower camel case, with its defaults:
///
/// ```swift
/// var config = WebSocketConfiguration()
/// config.connectionTimeout = .seconds(2)
/// config.reconnectStrategy = .fixedDelay
/// ```
///
/// Values set in code are used as they are; values read from a `kstlib.conf.yml` file are
/// clamped into the bounds of ``WebSocketConfiguration/Bounds``.
///
/// Two configurations are equal when their options are; the callbacks (closures, including the
/// ``subscriptionFormat`` and ``messageKey``) are not compared, as Swift cannot compare closures.
public struct WebSocketConfiguration: Sendable, Equatable {
    // MARK: Keepalive
    /// How often a ping is sent while connected. `nil` (or zero) disables keepalive.
    public var pingInterval: Duration? = .seconds(20)
    /// How long to wait for the pong before the connection counts as dead (reason `.pingTimeout`).
    public var pingTimeout: Duration = .seconds(10)

    // MARK: Connecting
    /// How long one connection attempt (DNS, TCP, TLS and the upgrade) may take.
    public var connectionTimeout: Duration = .seconds(30)
    /// How long the closing handshake may take before the TCP connection is cut.
    public var closeTimeout: Duration = .seconds(5)

    // MARK: Reconnecting
    /// Whether reactive disconnects (server close, network error, ping timeout, protocol error,
    /// kill) trigger reconnection, and whether the initial connect retries.
    public var autoReconnect: Bool = true
    /// How the delay between attempts grows.
    public var reconnectStrategy: ReconnectStrategy = .exponentialBackoff
    /// The base delay between attempts.
    public var reconnectDelay: Duration = .seconds(1)
    /// The cap of the exponential backoff.
    public var maxReconnectDelay: Duration = .seconds(60)
    /// Consecutive failed attempts before giving up with ``WebSocketReconnectError``.
    public var maxReconnectAttempts: Int = 10
    /// Which failed attempts are retried: ``ConnectRetryPolicy/standard`` ends at once on a
    /// failure no retry can fix (a certificate, a 403); kstlib retries everything
    /// (``ConnectRetryPolicy/retryEverything``).
    public var retryPolicy: ConnectRetryPolicy = .standard
    /// When a refused upgrade is sent once more to read the server's whole answer (its body
    /// and every header): by default only when ``retryPolicy`` gives up on it.
    public var rejectedUpgradeReplay: RejectedUpgradeReplay = .whenPermanent

    // MARK: Incoming queue
    /// How many received messages may wait for the consumer; 0 means unbounded.
    public var queueSize: Int = 1000
    /// What happens when the queue is full.
    public var queueOverflowPolicy: QueueOverflowPolicy = .backpressure
    /// The largest message accepted; a bigger one fails the connection with 1009.
    /// 16 MiB: big enough for order-book snapshots, small enough that a hostile server cannot
    /// exhaust memory.
    public var maxMessageSize: Int = 16 * 1024 * 1024

    // MARK: Outgoing buffer
    /// How many bytes may wait to be sent before `send` suspends (send-side flow control).
    public var sendBuffer: SendBuffer = .init()
    /// How long a `send` may wait for room in ``sendBuffer`` before it throws
    /// ``WebSocketTimeoutError`` with operation `"send"`, the message not sent; `nil` waits as
    /// long as the connection lives.
    public var sendTimeout: Duration? = .seconds(30)
    /// At most this many outgoing messages per window, subscriptions and re-subscriptions
    /// included (an exchange's "5 messages per second"); `nil` (the default) sends as fast as
    /// the buffer allows. `send` waits for its turn within ``sendTimeout``.
    public var outgoingRate: OutgoingRate? = nil

    // MARK: Proactive control
    /// How often ``shouldDisconnect`` is asked.
    public var disconnectCheckInterval: Duration = .seconds(10)
    /// How often ``shouldReconnect`` is asked while waiting to reconnect.
    public var reconnectCheckInterval: Duration = .seconds(5)
    /// How long before ``maxConnectionAge`` the connection is rotated (reason `.connectionLimit`).
    public var disconnectMargin: Duration = .seconds(300)
    /// The platform's connection-age limit (for example 24 hours on many exchanges); `nil` for none.
    public var maxConnectionAge: Duration? = nil
    /// Open and subscribe the new connection before closing the old one on proactive reconnects.
    public var gaplessRotation: Bool = false

    // MARK: Subscriptions
    /// How subscribe/unsubscribe requests are written; re-sent after every reconnect.
    public var subscriptionFormat: SubscriptionFormat = .kstlib

    // MARK: Handshake
    /// Extra HTTP request headers sent with the upgrade (for example `Authorization`), as the
    /// HTTP ecosystem holds them: `[.authorization: "Bearer s3cr3t"]`. Headers the client sets
    /// itself (`Host`, `Sec-WebSocket-Key`, `Origin`...) are refused by ``WebSocketManager/connect()``.
    public var additionalHeaders: HTTPFields = [:]
    /// Headers set through the deprecated ``headers`` that no `HTTPField` can hold (a name that
    /// is not a token, a value with a control character): kept so that `connect()` refuses them
    /// by name rather than sending them altered.
    var unrepresentableHeaders: [RawHeader] = []
    /// Subprotocols offered in `Sec-WebSocket-Protocol`, most preferred first.
    public var subprotocols: [String] = []
    /// The `Origin` header, if any.
    public var origin: String? = nil
    /// permessage-deflate (RFC 7692) offer.
    public var compression: Compression = .init()
    /// How `wss://` verifies the server and presents the client.
    public var tls: TLSConfiguration = .init()
    /// An HTTP CONNECT proxy.
    public var proxy: ProxyConfiguration = .none

    // MARK: Metrics
    /// Counters, gauges and timers through swift-metrics; `nil` (the default) reports nothing.
    public var metrics: Metrics? = nil
    // MARK: Logging
    /// Where the manager logs, so an application can label and route it; `nil` logs under the
    /// label `kstlib.websocket`. Failures that are thrown to the caller (a failed connect, a
    /// timed-out send) are logged at `debug` only: the caller decides whether they are errors.
    public var logger: Logger? = nil

    // MARK: Callbacks
    /// Asked every ``disconnectCheckInterval`` while connected; `true` disconnects proactively.
    public var shouldDisconnect: (@Sendable () async -> Bool)? = nil
    /// Asked every ``reconnectCheckInterval`` after a proactive disconnect.
    public var shouldReconnect: (@Sendable () async -> ReconnectDecision)? = nil
    /// Called after every successful connect (and reconnect). Callbacks run in the order things
    /// happened: a connection's `onConnect` always comes before its messages and its
    /// `onDisconnect`, and its subscriptions were already queued, ahead of anything it sends
    /// (sent at once unless ``outgoingRate`` spreads them out).
    public var onConnect: (@Sendable () async throws -> Void)? = nil
    /// Called after every disconnect with its reason.
    public var onDisconnect: (@Sendable (DisconnectReason) async throws -> Void)? = nil
    /// Called for every received message, in order, off the event-loop thread. Messages also
    /// go to ``WebSocketManager/stream()``.
    public var onMessage: (@Sendable (WebSocketMessage) async throws -> Void)? = nil
    /// Called for noteworthy events that are not errors: a dropped message, a rotation that
    /// fell back (see ``WebSocketAlert/Kind``).
    public var onAlert: (@Sendable (WebSocketAlert) async throws -> Void)? = nil

    // MARK: Gapless rotation
    /// Identifies a message across connections during a gapless rotation (for example its
    /// sequence number or trade id). `nil` (the default) compares whole messages: two messages
    /// with the same type and bytes are the same message. Return `nil` from the closure for a
    /// message that must never be treated as a duplicate.
    public var messageKey: (@Sendable (WebSocketMessage) -> String?)? = nil
    /// How long the two connections of a gapless rotation may run side by side before the
    /// switch is forced (with an alert) for lack of a common message.
    public var rotationOverlapTimeout: Duration = .seconds(10)
    /// Whether reading pauses after each ping until its pong is out, so that every ping gets its
    /// own pong; internal, for tests that show what libwebsockets does without it.
    var guardsPongs = true
    /// The pool's hooks when this manager is a shard of a ``WebSocketPool``; internal.
    var shardHooks: ShardHooks? = nil

    /// The defaults of kstlib.websocket.
    public init() {}
}

extension WebSocketConfiguration {
    /// permessage-deflate (RFC 7692) settings.
    public struct Compression: Sendable, Equatable {
        /// Whether the extension is offered.
        public var enabled: Bool = true
        /// Our compressor's LZ77 window, 8...15 bits (2^bits bytes): smaller saves memory per
        /// connection (zlib needs about 2^(bits+2) bytes) at some cost in ratio. Outside 8...15,
        /// `connect()` fails with a ``WebSocketHandshakeFailure/Kind/invalidRequest``.
        public var clientMaxWindowBits: Int = 15
        /// Ask for a fresh compression context per message (less memory, worse ratio).
        public var clientNoContextTakeover: Bool = false
        /// Offered, with the largest window and context takeover: the best ratio.
        public init() {}
        /// Compression switched off.
        public static var disabled: Compression {
            var c = Compression()
            c.enabled = false
            return c
        }
    }
}
