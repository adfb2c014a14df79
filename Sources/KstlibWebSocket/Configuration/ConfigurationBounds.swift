// The hard bounds that values read from a kstlib configuration file are clamped into.

extension WebSocketConfiguration {
    /// The hard bounds of kstlib.websocket, applied to values read from a configuration file.
    ///
    /// A file value outside its bound is clamped to the nearest end, with a logged warning naming
    /// the key, the value and the bound. Values set in code are *not* clamped: the bounds protect
    /// against a mistyped config file, not against a deliberate choice (a test that wants a 100 ms
    /// ping interval sets it in code).
    public enum Bounds {
        /// `websocket.ping.interval`: 5 – 60 s.
        public static let pingInterval: ClosedRange<Duration> = .seconds(5)...(.seconds(60))
        /// `websocket.ping.timeout`: 5 – 30 s.
        public static let pingTimeout: ClosedRange<Duration> = .seconds(5)...(.seconds(30))
        /// `websocket.connection.timeout`: 5 – 120 s.
        public static let connectionTimeout: ClosedRange<Duration> = .seconds(5)...(.seconds(120))
        /// `websocket.reconnect.delay`: 0 – 300 s.
        public static let reconnectDelay: ClosedRange<Duration> = .zero...(.seconds(300))
        /// `websocket.reconnect.max_delay`: 1 – 600 s.
        public static let maxReconnectDelay: ClosedRange<Duration> = .seconds(1)...(.seconds(600))
        /// `websocket.reconnect.max_attempts`: 0 – 100.
        public static let maxReconnectAttempts: ClosedRange<Int> = 0...100
        /// `websocket.queue.size`: 0 (unbounded) – 10 000 messages.
        public static let queueSize: ClosedRange<Int> = 0...10_000
        /// `websocket.queue.max_message_size`: 1 KiB – 1 GiB.
        public static let maxMessageSize: ClosedRange<Int> = 1024...(1 << 30)
        /// `websocket.proactive.disconnect_check_interval`: 1 – 60 s.
        public static let disconnectCheckInterval: ClosedRange<Duration> = .seconds(1)...(.seconds(60))
        /// `websocket.proactive.reconnect_check_interval`: 0.5 – 60 s.
        public static let reconnectCheckInterval: ClosedRange<Duration> = .milliseconds(500)...(.seconds(60))
        /// `websocket.proactive.disconnect_margin`: 60 – 3600 s.
        public static let disconnectMargin: ClosedRange<Duration> = .seconds(60)...(.seconds(3600))
        /// `websocket.compression.client_max_window_bits`: 8 – 15 (RFC 7692).
        public static let clientMaxWindowBits: ClosedRange<Int> = 8...15
    }
}
