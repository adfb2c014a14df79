// SwiftClientSettings: the WebSocketConfiguration every Swift benchmark connection uses, chosen
// to match the C baseline: no keepalive, no reconnects, compression only when asked for.
import Foundation
import KstlibWebSocket

struct SwiftClientSettings: Sendable {
    var address: String
    var port: Int
    var compression: Bool

    /// The URL of `path` (with its query) on the benchmark server.
    func url(_ path: String) -> String {
        let host = address.contains(":") ? "[\(address)]" : address
        return "ws://\(host):\(port)\(path)"
    }

    /// The library's defaults (64 KiB rx buffer, 1000-message queue with backpressure...) except:
    /// - no pings: the C baseline turns libwebsockets' keepalive off with a zeroed retry policy;
    /// - no reconnects: a benchmark connection that fails must show up as a failure;
    /// - permessage-deflate only when the run asks for it, as in the C baseline;
    /// - the 120 s connect timeout the C baseline's context has (10,000 connects at once).
    var configuration: WebSocketConfiguration {
        var configuration = WebSocketConfiguration()
        configuration.pingInterval = nil
        configuration.autoReconnect = false
        configuration.compression = compression ? .init() : .disabled
        configuration.connectionTimeout = .seconds(120)
        return configuration
    }
}

extension SwiftClientSettings {
    /// Where a workload's consumer runs: the manager's event-loop thread (what the library
    /// recommends for throughput- and latency-critical consumers: no thread wake-up per
    /// message), or the default cooperative pool with `KSTLIB_BENCH_POOL=1`.
    static func executor(for manager: WebSocketManager) -> (any TaskExecutor)? {
        ProcessInfo.processInfo.environment["KSTLIB_BENCH_POOL"] == "1" ? nil : manager.eventLoopExecutor
    }
}

extension WebSocketMessage {
    /// Payload bytes, without copying them.
    var payloadCount: Int {
        switch self {
        case .binary(let bytes): bytes.count
        case .text(let text): text.utf8.count
        }
    }
}
