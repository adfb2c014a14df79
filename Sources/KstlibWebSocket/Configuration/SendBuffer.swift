// How much outgoing data may wait in memory before `send` suspends.

extension WebSocketConfiguration {
    /// Send-side flow control: the outgoing buffer's watermarks, in payload bytes.
    ///
    /// `send` never grows memory without limit: once the bytes accepted but not yet handed to the
    /// network reach ``highWatermark``, every `send` suspends (in call order) until the network
    /// has drained them to ``lowWatermark``, then they go on in the order they came. A producer
    /// faster than the network is slowed to the network's pace, and the buffer holds at most
    /// ``highWatermark`` plus one message. ``WebSocketConfiguration/sendTimeout`` bounds the wait.
    /// ``WebSocketStats/bytesWaiting`` shows the buffer's level.
    public struct SendBuffer: Sendable, Equatable {
        /// The level at which `send` starts to suspend. 1 MiB by default.
        public var highWatermark: Int
        /// The level the buffer must drain to before suspended sends resume; kept below
        /// ``highWatermark`` so that they resume in a batch rather than one per write. 256 KiB by
        /// default; a value above ``highWatermark`` counts as ``highWatermark``.
        public var lowWatermark: Int

        /// Watermarks in bytes; a `highWatermark` under 1 counts as 1.
        public init(highWatermark: Int = 1 << 20, lowWatermark: Int = 256 << 10) {
            self.highWatermark = highWatermark
            self.lowWatermark = lowWatermark
        }

        /// The watermarks as used: `1 <= high`, `0 <= low <= high`.
        var effective: (high: Int, low: Int) {
            let high = max(1, highWatermark)
            return (high, min(max(0, lowWatermark), high))
        }
    }
}
