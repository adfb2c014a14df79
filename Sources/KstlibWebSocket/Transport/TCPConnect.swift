// A throwaway TCP connect with a deadline, for the probes that ask the operating system why.
import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// One non-blocking TCP connect to a numeric address, bounded by a deadline (blocking: call it off
/// the service thread). Used by ``ConnectFailureProbe`` (the `errno` of a failed connect) and
/// ``ProxyProbe`` (a `CONNECT` to a proxy).
enum TCPConnect {
    enum Outcome {
        /// Connected: the socket, the caller's to close.
        case connected(Int32)
        /// The connect failed with this `errno` (`EINVAL` for an address that is not numeric).
        case failed(Int32)
        /// No answer before the deadline.
        case timedOut
    }

    static func open(address: String, port: Int, until deadline: ContinuousClock.Instant) -> Outcome {
        var storage = sockaddr_storage()
        guard let length = fill(&storage, address: address, port: port) else { return .failed(EINVAL) }
        let fd = socket(Int32(storage.ss_family), Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failed(errno) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let started = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        if started != 0 {
            let code = errno
            guard code == EINPROGRESS else {
                close(fd)
                return .failed(code)
            }
            guard wait(fd, for: POLLOUT, until: deadline) else {
                close(fd)
                return .timedOut
            }
            var failure: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &size)
            if failure != 0 {
                close(fd)
                return .failed(failure)
            }
        }
        return .connected(fd)
    }

    /// Polls `fd` for `event` until `deadline`; `false` when the time ran out.
    static func wait(_ fd: Int32, for event: Int32, until deadline: ContinuousClock.Instant) -> Bool {
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return false }
            var entry = pollfd(fd: fd, events: Int16(event), revents: 0)
            let ready = poll(&entry, 1, Int32(max(1, (left / .milliseconds(1)).rounded(.up))))
            if ready > 0 { return true }
            if ready < 0 && errno != EINTR { return false }
        }
    }

    /// Writes the numeric `address` and `port` into `storage`; its length, `nil` if not numeric.
    private static func fill(_ storage: inout sockaddr_storage, address: String, port: Int) -> socklen_t? {
        withUnsafeMutableBytes(of: &storage) { raw -> socklen_t? in
            if address.contains(":") {
                let v6 = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
                v6.pointee.sin6_family = sa_family_t(AF_INET6)
                v6.pointee.sin6_port = UInt16(port).bigEndian
                guard inet_pton(AF_INET6, address, &v6.pointee.sin6_addr) == 1 else { return nil }
                return socklen_t(MemoryLayout<sockaddr_in6>.size)
            }
            let v4 = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
            v4.pointee.sin_family = sa_family_t(AF_INET)
            v4.pointee.sin_port = UInt16(port).bigEndian
            guard inet_pton(AF_INET, address, &v4.pointee.sin_addr) == 1 else { return nil }
            return socklen_t(MemoryLayout<sockaddr_in>.size)
        }
    }
}
