// The bytes of one replay connection: a TCP socket, or a TLS session over it.
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
    private var tls: ReplayTLSSession?

    /// Takes ownership of the connected socket `fd`.
    init(fd: Int32) { self.fd = fd }

    deinit {
        tls = nil // the session goes before its socket
        close(fd)
    }

    /// Runs the TLS handshake with the connection's trust settings and relaxations; the reason
    /// in words when it fails.
    func startTLS(
        _ settings: VhostSettings, serverName: String, insecure: TLSConfiguration.InsecureOptions,
        until deadline: ContinuousClock.Instant
    ) -> String? {
        let roots = settings.trustRoots.compactMap(Self.text(of:)).joined(separator: "\n")
        switch ReplayTLSSession.handshake(
            fd: fd, serverName: serverName, trustRoots: roots, settings: settings, insecure: insecure,
            milliseconds: Self.milliseconds(until: deadline))
        {
        case .success(let session):
            tls = session
            return nil
        case .failure(let failure):
            return failure.reason
        }
    }

    /// Sends every byte before the deadline.
    func write(_ bytes: [UInt8], until deadline: ContinuousClock.Instant) -> Bool {
        if let tls {
            return tls.write(bytes, milliseconds: Self.milliseconds(until: deadline))
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
            return tls.read(into: &buffer, milliseconds: Self.milliseconds(until: deadline))
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
