// Why a TCP connect failed, asked of the operating system rather than read from libwebsockets.
import Foundation

/// Finds the `errno` behind a connect that libwebsockets reported as failed.
///
/// libwebsockets reads the socket's error (`SO_ERROR`, which clears it) and reports it in words
/// that differ by version ("connect failed" in 4.1, "conn fail: 111" in 4.3), so neither its
/// text nor the socket can tell us. A second, throwaway connect to the same numeric address
/// can: refused, unreachable and timed-out connects fail the same way twice. It runs off the
/// service thread (``resolve(_:)``), bounded by ``probeTimeoutMilliseconds``; if it connects,
/// the first attempt failed for a reason that did not last, and the failure says so.
enum ConnectFailureProbe {
    /// Where the TCP connect went: the proxy when there is one.
    struct Target: Sendable {
        var address: String
        var port: Int
        var viaProxy: Bool
    }

    static let probeTimeout: Duration = .seconds(1)

    static func target(of options: LWSConnection.Options) -> Target {
        if let proxy = options.vhost.proxy {
            return Target(address: proxy.address, port: proxy.port, viaProxy: true)
        }
        return Target(address: options.address, port: options.url.port, viaProxy: false)
    }

    /// The failure reported until the probe answers (also what a caller sees if it never runs).
    static func pending(options: LWSConnection.Options, detail: String?) -> WebSocketHandshakeFailure {
        let target = target(of: options)
        // Through a proxy the manager asks the proxy itself (ProxyProbe), which also learns its
        // status when it refused the CONNECT; the kind stays the target's until then.
        return WebSocketHandshakeFailure(kind: .connectFailed, reason: words(nil, target), detail: detail)
    }

    /// The failure with the operating system's reason (blocking: call off the service thread).
    static func resolve(_ failure: WebSocketHandshakeFailure, target: Target) -> WebSocketHandshakeFailure {
        let socketError: SocketErrorCode?
        switch TCPConnect.open(address: target.address, port: target.port, until: .now + probeTimeout) {
        case .connected(let fd):
            close(fd)
            socketError = nil
        case .failed(let code): socketError = SocketErrorCode(rawValue: code)
        case .timedOut: socketError = .timedOut
        }
        return WebSocketHandshakeFailure(
            kind: failure.kind, reason: words(socketError, target), httpStatus: failure.httpStatus,
            headers: failure.headers, socketError: socketError, detail: failure.detail)
    }

    /// `connection refused (ECONNREFUSED) to 127.0.0.1:9`, or the proxy's equivalent.
    static func words(_ error: SocketErrorCode?, _ target: Target) -> String {
        let endpoint =
            target.address.contains(":") ? "[\(target.address)]:\(target.port)" : "\(target.address):\(target.port)"
        switch (error, target.viaProxy) {
        case (let error?, false): return "\(error) to \(endpoint)"
        case (let error?, true): return "the proxy \(endpoint) could not be reached: \(error)"
        case (nil, false): return "the TCP connection to \(endpoint) failed, then succeeded when retried"
        case (nil, true): return "the proxy \(endpoint) did not open a tunnel"
        }
    }
}
