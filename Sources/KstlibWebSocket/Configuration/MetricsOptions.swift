// Whether a manager reports to swift-metrics, and how its metrics are told apart.
public import Metrics

extension WebSocketConfiguration {
    /// Reporting to swift-metrics (Prometheus, OpenTelemetry...): off unless set.
    ///
    /// ```swift
    /// config.metrics = .init(label: "binance-trades")
    /// ```
    /// Every metric carries two dimensions: `host` (the URL's host) and `label` (this value), so
    /// one dashboard can tell a process's managers apart. The names are listed in
    /// <doc:RunningInAService>.
    public struct Metrics: Sendable, Equatable {
        /// The `label` dimension: which of the application's connections this is.
        public var label: String
        /// The backend to report to; `nil` (the default) uses the one the application
        /// bootstrapped with `MetricsSystem.bootstrap`. Not compared by `==`.
        public var factory: (any MetricsFactory)?

        /// Reports as `label` to `factory`, or to the bootstrapped backend.
        public init(label: String, factory: (any MetricsFactory)? = nil) {
            self.label = label
            self.factory = factory
        }

        /// Whether the labels are equal; factories cannot be compared.
        public static func == (lhs: Self, rhs: Self) -> Bool { lhs.label == rhs.label }
    }
}
