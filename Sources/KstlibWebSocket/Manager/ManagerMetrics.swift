// The swift-metrics instruments of one manager, made once so that recording costs no lookup.
import Metrics

/// A manager's counters, gauge and timers, all with the `host` and `label` dimensions.
///
/// Made only when ``WebSocketConfiguration/metrics`` is set, so a manager without metrics
/// costs nothing. The instruments are swift-metrics' own thread-safe objects, called from the
/// event-loop thread and from tasks alike.
@usableFromInline final class ManagerMetrics: Sendable {
    /// The prefix of every name: the library's, so dashboards can find them all.
    static let prefix = "kstlib_websocket_"

    let messagesReceived: Counter
    let messagesSent: Counter
    let bytesReceived: Counter
    let bytesSent: Counter
    let connects: Counter
    let reconnectAttempts: Counter
    let messagesDropped: Counter
    let queueDepth: Gauge
    /// Bytes accepted by `send` and not yet written (``WebSocketStats/bytesWaiting``).
    let bytesWaiting: Gauge
    let roundTrip: Metrics.Timer
    let connectTime: Metrics.Timer
    private let dimensions: [(String, String)]
    private let factory: any MetricsFactory

    init(options: WebSocketConfiguration.Metrics, host: String) {
        let dimensions = [("host", host), ("label", options.label)]
        let factory = options.factory ?? MetricsSystem.factory
        func counter(_ name: String) -> Counter {
            Counter(label: Self.prefix + name, dimensions: dimensions, factory: factory)
        }
        func timer(_ name: String) -> Metrics.Timer {
            Metrics.Timer(label: Self.prefix + name, dimensions: dimensions, factory: factory)
        }
        messagesReceived = counter("messages_received_total")
        messagesSent = counter("messages_sent_total")
        bytesReceived = counter("bytes_received_total")
        bytesSent = counter("bytes_sent_total")
        connects = counter("connects_total")
        reconnectAttempts = counter("reconnect_attempts_total")
        messagesDropped = counter("messages_dropped_total")
        queueDepth = Gauge(label: Self.prefix + "queue_depth", dimensions: dimensions, factory: factory)
        bytesWaiting = Gauge(label: Self.prefix + "bytes_waiting", dimensions: dimensions, factory: factory)
        roundTrip = timer("round_trip_seconds")
        connectTime = timer("connect_seconds")
        self.dimensions = dimensions
        self.factory = factory
    }

    /// Counts a disconnect under its reason and kind (`proactive` or `reactive`). Made on use:
    /// the reasons are few, and the backend keeps one instrument per name and dimensions.
    func disconnected(_ reason: DisconnectReason) {
        let kind = reason.isProactive ? "proactive" : "reactive"
        Counter(
            label: Self.prefix + "disconnects_total",
            dimensions: dimensions + [("kind", kind), ("reason", reason.rawValue)], factory: factory
        ).increment()
    }

    /// Records a duration on `timer` with nanosecond precision.
    static func record(_ duration: Duration, on timer: Metrics.Timer) {
        let (seconds, attoseconds) = duration.components
        timer.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
