// SwiftClientSettings: the WebSocketConfiguration every Swift benchmark connection uses, chosen
// to match the C baseline: no keepalive, no reconnects, compression only when asked for.
import Foundation
import KstlibWebSocket

struct SwiftClientSettings: Sendable {
    var address: String
    var port: Int
    var compression: Bool
    /// Consumers run on the manager's event-loop executor rather than the default pool.
    var onEventLoop = false

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
    /// Where a workload's consumer runs: the default cooperative pool (what a user gets without
    /// reading the manual), or the manager's event-loop thread (`--executor event-loop`: no
    /// thread wake-up per message).
    func executor(for manager: WebSocketManager) -> (any TaskExecutor)? {
        onEventLoop ? manager.eventLoopExecutor : nil
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
