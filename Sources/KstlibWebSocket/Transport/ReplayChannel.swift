// The bytes of one replay connection: a TCP socket, or a TLS session over it.
internal import CLWSShim
import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// A connected socket the replay owns, with TLS once ``startTLS(_:serverName:insecure:until:)``
/// succeeded; every call is bounded by a deadline (blocking: used on one Dispatch worker only).
final class ReplayChannel {
    /// What a read gave.
    enum Read: Equatable {
        case bytes(Int)
        case endOfStream
        case timedOut
        case failed
    }

    private let fd: Int32
    private var tls: OpaquePointer?

    /// Takes ownership of the connected socket `fd`.
    init(fd: Int32) { self.fd = fd }

    deinit {
        if let tls { lwss_tls_free(tls) }
        close(fd)
    }

    /// Runs the TLS handshake with the connection's trust settings and relaxations; the reason
    /// in words when it fails.
    func startTLS(
        _ settings: VhostSettings, serverName: String, insecure: TLSConfiguration.InsecureOptions,
        until deadline: ContinuousClock.Instant
    ) -> String? {
        let strings = CStringArena()
        defer { strings.free() }
        var c = lwss_tls_settings()
        c.server_name = strings.copy(serverName)
        c.use_system_store = settings.excludeSystemTrustStore ? 0 : 1
        let roots = settings.trustRoots.compactMap(Self.text(of:)).joined(separator: "\n")
        if !roots.isEmpty {
            c.ca_pem = strings.copy(roots)
            c.ca_pem_len = roots.utf8.count
        }
        if let identity = settings.clientIdentity {
            switch identity.certificate {
            case .file(let path): c.cert_file = strings.copy(path)
            case .pem(let text):
                c.cert_pem = strings.copy(text)
                c.cert_pem_len = text.utf8.count
            }
            switch identity.privateKey {
            case .file(let path): c.key_file = strings.copy(path)
            case .pem(let text):
                c.key_pem = strings.copy(text)
                c.key_pem_len = text.utf8.count
            }
        }
        c.allow_self_signed = insecure.contains(.allowSelfSigned) ? 1 : 0
        c.allow_unknown_issuer = insecure.contains(.allowUnknownIssuer) ? 1 : 0
        c.allow_expired = insecure.contains(.allowExpired) ? 1 : 0
        c.skip_name_check = insecure.contains(.skipHostnameVerification) ? 1 : 0
        var error = [CChar](repeating: 0, count: 512)
        tls = lwss_tls_connect(fd, &c, Self.milliseconds(until: deadline), &error, error.count)
        return tls == nil ? String(cBuffer: error) : nil
    }

    /// Sends every byte before the deadline.
    func write(_ bytes: [UInt8], until deadline: ContinuousClock.Instant) -> Bool {
        if let tls {
            return bytes.withUnsafeBytes {
                lwss_tls_write(tls, $0.baseAddress, $0.count, Self.milliseconds(until: deadline))
            } == 0
        }
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes {
                send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL))
            }
            if count > 0 {
                sent += count
            } else if count < 0 && (errno == EAGAIN || errno == EINTR) {
                guard TCPConnect.wait(fd, for: POLLOUT, until: deadline) else { return false }
            } else {
                return false
            }
        }
        return true
    }

    /// Reads what has come into `buffer`, waiting until the deadline at most.
    func read(into buffer: inout [UInt8], until deadline: ContinuousClock.Instant) -> Read {
        if let tls {
            let count = buffer.withUnsafeMutableBytes {
                lwss_tls_read(tls, $0.baseAddress, $0.count, Self.milliseconds(until: deadline))
            }
            switch count {
            case 0: return .endOfStream
            case -2: return .timedOut
            case ..<0: return .failed
            default: return .bytes(count)
            }
        }
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count > 0 { return .bytes(count) }
            if count == 0 { return .endOfStream }
            guard errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else {
                return errno == ECONNRESET ? .endOfStream : .failed
            }
            guard TCPConnect.wait(fd, for: POLLIN, until: deadline) else { return .timedOut }
        }
    }

    private static func text(of source: TLSConfiguration.PEMSource) -> String? {
        switch source {
        case .pem(let text): return text
        case .file(let path): return try? String(contentsOfFile: path, encoding: .utf8)
        }
    }

    private static func milliseconds(until deadline: ContinuousClock.Instant) -> Int32 {
        let left = deadline - ContinuousClock.now
        guard left > .zero else { return 0 }
        return Int32(clamping: Int64((left / .milliseconds(1)).rounded(.up)))
    }
}
