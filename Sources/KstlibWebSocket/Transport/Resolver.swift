// Name resolution off the event-loop thread.
import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Resolves host names with `getaddrinfo` on a Dispatch worker, never on the event loop.
///
/// libwebsockets 4.1 (built without async DNS) would call a blocking `getaddrinfo` inside
/// its connect call, stalling every connection of the process; and on failure it
/// returns NULL with no callback. So the manager resolves first and hands libwebsockets a
/// numeric address (the name still goes in `Host` and SNI).
enum Resolver {
    /// The numeric address to connect to for `host`, preferring IPv4 like most clients.
    ///
    /// Cancellation (the connect timeout) returns at once with `CancellationError`:
    /// `getaddrinfo` cannot be interrupted, so its worker finishes on its own (within the
    /// resolver's own timeout) and its answer is dropped, but the connect no longer waits for it.
    static func resolve(_ host: String) async throws -> String {
        if isNumeric(host) { return host }
        return try await OneShot.run { lookUp(host) }.get()
    }

    static func isNumeric(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    private static func lookUp(_ host: String) -> Result<String, WebSocketHandshakeFailure> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let first = list else {
            let why = String(cString: gai_strerror(status))
            let kind: WebSocketHandshakeFailure.Kind = status == EAI_AGAIN ? .dnsTemporaryFailure : .dnsFailure
            return .failure(WebSocketHandshakeFailure(kind: kind, reason: "cannot resolve '\(host)': \(why)"))
        }
        defer { freeaddrinfo(list) }
        var candidates: [String] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let entry = node {
            if let text = numericName(entry.pointee) { candidates.append(text) }
            node = entry.pointee.ai_next
        }
        guard let chosen = candidates.first(where: { !$0.contains(":") }) ?? candidates.first else {
            return .failure(WebSocketHandshakeFailure(kind: .dnsFailure, reason: "'\(host)' has no usable address"))
        }
        return .success(chosen)
    }

    private static func numericName(_ info: addrinfo) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let status = getnameinfo(
            info.ai_addr, info.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST)
        guard status == 0 else { return nil }
        return String(cBuffer: buffer)
    }
}
