// Telling a proxy's failure from the target's: what an attempt through a proxy reports.
import Foundation

extension WebSocketURL {
    /// `host:port` as a `CONNECT` names it, an IPv6 host in brackets.
    var authority: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

extension WebSocketManager {
    /// The failure to report for an attempt through the proxy at `proxy` (resolved to
    /// `address`) that ended with `failure` before the upgrade.
    ///
    /// Failures after the tunnel was up (an HTTP status from the target, TLS, the handshake) are
    /// the target's and are kept. The rest happened at the proxy or in the tunnel: they become
    /// ``WebSocketHandshakeFailure/Kind/proxy``, with the proxy's status and headers when a
    /// ``ProxyProbe`` finds it refusing the `CONNECT`.
    static func proxyFailure(
        _ failure: WebSocketHandshakeFailure, proxy: (host: String, port: Int), address: String, target: String,
        probeTimeout: Duration
    ) async throws -> WebSocketHandshakeFailure {
        let targetsOwn: Set<WebSocketHandshakeFailure.Kind> = [
            .httpStatus, .tls, .badHandshake, .invalidURL, .invalidRequest, .unavailable, .dnsFailure,
            .dnsTemporaryFailure, .proxy,
        ]
        guard !targetsOwn.contains(failure.kind) else { return failure }
        let name = "\(proxy.host):\(proxy.port)"
        let outcome = try await ProxyProbe.probe(
            address: address, port: proxy.port, target: target, timeout: probeTimeout)
        switch outcome {
        case .unreachable(let code):
            let error = SocketErrorCode(rawValue: code)
            return WebSocketHandshakeFailure(
                kind: .proxy, reason: "cannot reach the proxy at \(name): \(error)", socketError: error,
                detail: failure.detail)
        case .answered(let status, let reason, let headers) where !(200...299).contains(status):
            let said = reason.isEmpty ? "HTTP \(status)" : "HTTP \(status) \(reason)"
            return WebSocketHandshakeFailure(
                kind: .proxy, reason: "the proxy at \(name) refused to connect to \(target): \(said)",
                httpStatus: status, headers: headers)
        case .answered:
            return WebSocketHandshakeFailure(
                kind: .proxy, reason: "the connection through the proxy at \(name) failed: \(failure.reason)")
        case .silent:
            return WebSocketHandshakeFailure(
                kind: .proxy, reason: "the proxy at \(name) did not answer: \(failure.reason)")
        }
    }
}
