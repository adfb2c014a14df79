// The listening socket every loopback test server and proxy starts from.
// CLibWebSockets brings the socket constants (SOCK_STREAM, SOCK_CLOEXEC) in as the other raw
// servers see them; Glibc alone does not export them to this module in a clean build.
import CLibWebSockets
import Foundation
import Glibc

/// A TCP socket listening on `host` (numeric IPv4 or IPv6) at a port the kernel picks, and that
/// port. Close-on-exec, `SO_REUSEADDR`, backlog 64; the descriptor is closed on any failure.
func makeLoopbackListener(host: String = "127.0.0.1") throws -> (fd: Int32, port: Int) {
    let v6 = host.contains(":")
    let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw RawPeerError.io(errno) }
    var on: Int32 = 1
    _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
    var storage = sockaddr_storage()
    var length: socklen_t
    let converted: Int32 = withUnsafeMutableBytes(of: &storage) { raw in
        if v6 {
            let address = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
            address.pointee.sin6_family = sa_family_t(AF_INET6)
            address.pointee.sin6_port = 0
            return inet_pton(AF_INET6, host, &address.pointee.sin6_addr)
        } else {
            let address = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
            address.pointee.sin_family = sa_family_t(AF_INET)
            address.pointee.sin_port = 0
            return inet_pton(AF_INET, host, &address.pointee.sin_addr)
        }
    }
    length = socklen_t(v6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
    guard converted == 1 else {
        rawSysClose(fd)
        throw RawPeerError.io(EINVAL)
    }
    let bound = withUnsafePointer(to: &storage) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    guard bound == 0, listen(fd, 64) == 0 else {
        let code = errno
        rawSysClose(fd)
        throw RawPeerError.io(code)
    }
    var actual = sockaddr_storage()
    var actualLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let named = withUnsafeMutablePointer(to: &actual) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &actualLength) }
    }
    guard named == 0 else {
        let code = errno
        rawSysClose(fd)
        throw RawPeerError.io(code)
    }
    let port = withUnsafeBytes(of: &actual) { raw in
        v6
            ? raw.load(as: sockaddr_in6.self).sin6_port
            : raw.load(as: sockaddr_in.self).sin_port
    }
    return (fd, Int(UInt16(bigEndian: port)))
}
