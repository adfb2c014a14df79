// The seam between the manager and whatever carries its bytes: libwebsockets, or a test's script.

/// What the manager needs from the network layer: connections, and the thread they report on.
///
/// ``LibWebSocketsTransport`` is the library's one implementation; tests drive one in memory,
/// step by step, on a virtual clock. The manager holds its transport and each connection as an
/// existential, once: a received message reaches it through the connection's ``TransportSink``
/// with no dispatch through this protocol, and a send costs one protocol call, no allocation.
protocol Transport: Sendable {
    /// A connection for `request` that reports to `sink`, not started yet: the manager ties it to
    /// `sink` before ``TransportConnection/open()``, because events may follow at once. May
    /// resolve names (which is why it is async); throws when the attempt cannot even start.
    func makeConnection(_ request: TransportRequest, sink: any TransportSink) async throws
        -> any TransportConnection

    /// Runs `job` once the batch of events being delivered is over (at once outside a batch),
    /// so a burst of messages read together wakes a waiting consumer once.
    func atEndOfPass(_ job: @escaping @Sendable () -> Void)

    /// The executor of the thread that delivers the events: handed out as
    /// ``WebSocketManager/eventLoopExecutor``, and where a forced rotation switch runs, so that
    /// no message of either connection is delivered in the middle of it.
    var executor: any TaskExecutor { get }

    /// Where the manager's own tasks run (reconnects, timers, callbacks); `nil` for the global
    /// concurrent pool. A simulation puts them on its single thread so that a run is repeatable.
    var taskExecutor: (any TaskExecutor)? { get }
}

/// What one connection attempt is for.
struct TransportRequest: Sendable {
    var endpoint: WebSocketURL
    var configuration: WebSocketConfiguration
    /// The HTTP proxy to tunnel through, if any.
    var proxy: (host: String, port: Int)?
}

/// One connection, as the manager drives it. Every method may be called from any thread and
/// never blocks; what it causes is reported later, on the transport's thread, to the sink.
protocol TransportConnection: AnyObject, Sendable {
    /// Starts connecting; `false` when the transport has stopped (no event will follow).
    func open() -> Bool
    /// Queues a frame; returns the payload bytes then waiting (``pendingBytes``), `nil` once ended.
    func enqueue(_ frame: OutgoingFrame) -> Int?
    /// Payload bytes accepted and not yet handed to the network.
    var pendingBytes: Int { get }
    /// Sends a close frame after everything already queued; `false` once ended.
    @discardableResult
    func close(code: WebSocketCloseCode, reason: String) -> Bool
    /// Cuts the connection without a close frame.
    func abort()
    /// Reads again after ``TransportSink/transportReceived(_:)`` asked for backpressure.
    func resumeReading()
    /// The failure to report for a handshake that failed with `failure`: a transport that can
    /// tell more (whose fault a failure through a proxy is) says it here.
    func diagnose(_ failure: WebSocketHandshakeFailure, probeTimeout: Duration) async throws
        -> WebSocketHandshakeFailure
    /// Sends the refused upgrade request again on a connection of its own and reads the whole
    /// answer, by `deadline` (see ``UpgradeReplay``); a transport that cannot says why not.
    func replayRefusedUpgrade(until deadline: ContinuousClock.Instant) async -> UpgradeReplay.Outcome
}

extension TransportConnection {
    func diagnose(_ failure: WebSocketHandshakeFailure, probeTimeout: Duration) async throws
        -> WebSocketHandshakeFailure
    { failure }

    func replayRefusedUpgrade(until deadline: ContinuousClock.Instant) async -> UpgradeReplay.Outcome {
        .failed("this transport cannot replay a request")
    }
}
