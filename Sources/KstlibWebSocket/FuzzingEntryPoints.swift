// The internal parsers, reachable from the libFuzzer targets of the Fuzz/ package.

/// Doors into the internal parsers for the fuzz targets in `Fuzz/`.
///
/// `@_spi(Fuzzing)`: a plain `import KstlibWebSocket` does not see this; only
/// `@_spi(Fuzzing) import KstlibWebSocket` does. The parsers stay internal (free to change)
/// while hostile input can still reach each of them directly, without a connection attempt in
/// between, which is what makes fuzzing them fast.
@_spi(Fuzzing) public enum FuzzingEntryPoints {
    /// The parts of a parsed `ws://` / `wss://` URL, as the handshake will use them.
    public struct URLParts: Equatable, Sendable {
        public let secure: Bool
        /// The host without IPv6 brackets.
        public let host: String
        public let port: Int
        public let pathAndQuery: String
        /// The `Host` header value.
        public let hostHeader: String
    }

    /// Parses `text` as `WebSocketManager(url:)` does before connecting.
    public static func parseURL(_ text: String) -> Result<URLParts, WebSocketHandshakeFailure> {
        WebSocketURL.parse(text).map {
            URLParts(
                secure: $0.secure, host: $0.host, port: $0.port, pathAndQuery: $0.pathAndQuery,
                hostHeader: $0.hostHeader)
        }
    }

    /// The check `connect()` makes on headers, origin and subprotocols; `nil` when they may be sent.
    public static func validateHandshake(_ configuration: WebSocketConfiguration) -> WebSocketHandshakeFailure? {
        HandshakeRequest.validate(configuration)
    }

    /// Loads a configuration from YAML text, collecting the warnings instead of logging them.
    public static func configuration(yaml: String, source: String) throws -> (
        configuration: WebSocketConfiguration, warnings: [String]
    ) {
        var warnings: [String] = []
        let configuration = try WebSocketConfiguration(yaml: yaml, source: source) { warnings.append($0) }
        return (configuration, warnings)
    }

    /// What a refused upgrade's answer reads as (``readHTTPResponse(_:cuts:bodyLimit:)``).
    public struct HTTPResponseParts: Equatable, Sendable, CustomStringConvertible {
        public let status: Int?
        public let headers: [String: String]
        public let body: [UInt8]
        public let truncated: Bool
        public let complete: Bool
        public let malformed: String?

        public var description: String {
            "status \(status.map(String.init) ?? "-"), headers \(headers), body \(body.count) B"
                + "\(truncated ? " (truncated)" : ""), complete \(complete), malformed \(malformed ?? "-")"
        }
    }

    /// Reads `bytes` as the replay of a refused upgrade reads the server's answer, fed in the
    /// pieces the sorted offsets `cuts` make, then ends the stream.
    public static func readHTTPResponse(_ bytes: [UInt8], cuts: [Int], bodyLimit: Int) -> HTTPResponseParts {
        var reader = HTTPResponseReader(bodyLimit: bodyLimit)
        let bounds = [0] + cuts + [bytes.count]
        for (start, end) in zip(bounds, bounds.dropFirst()) { reader.feed(bytes[start..<end]) }
        reader.finish(endOfStream: true)
        let response = reader.response
        return HTTPResponseParts(
            status: response?.status, headers: response?.headers ?? [:], body: response?.body ?? [],
            truncated: response?.truncated ?? false, complete: reader.isComplete, malformed: reader.malformed)
    }

    /// The proxy an `http_proxy` / `https_proxy` value names, `nil` when it names none.
    public static func parseProxy(_ setting: String) -> (host: String, port: Int)? {
        ProxyEnvironment.parse(setting)
    }

    /// Whether a `no_proxy` list excludes `host`.
    public static func proxyExcludes(_ host: String, list: String) -> Bool {
        ProxyEnvironment.excluded(host, by: list)
    }

    /// The proxy chosen for `url` from `environment`; `nil` for a direct connection or a bad URL.
    public static func proxy(forURL url: String, environment: [String: String]) -> (host: String, port: Int)? {
        guard case .success(let endpoint) = WebSocketURL.parse(url) else { return nil }
        return ProxyEnvironment.proxy(for: endpoint, environment: environment)
    }

    /// The JSON string literal the subscription formats write for `text`.
    public static func quotedJSON(_ text: String) -> String {
        SubscriptionFormat.quoted(text)
    }

    /// The incremental UTF-8 check text messages go through, one chunk at a time.
    public struct UTF8Stream {
        private var validator = UTF8Validator()

        public init() {}

        /// Whether the bytes so far end on a code-point boundary.
        public var isComplete: Bool { validator.isComplete }

        /// `false` as soon as the bytes fed so far cannot be part of valid UTF-8.
        public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
            validator.feed(bytes)
        }
    }
}
