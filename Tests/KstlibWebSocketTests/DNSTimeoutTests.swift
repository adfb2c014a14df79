// A name server that never answers: the connect still ends at `connectionTimeout`.
import Foundation
import Glibc
import Testing
@testable import KstlibWebSocket

@Suite struct DNSTimeoutTests {
    /// The resolver of the child waits a minute per query: far beyond the connect timeout, so a
    /// connect that waited for it would blow the child's 20 s bound.
    static let resolvConf = "nameserver 127.0.0.1\noptions timeout:60 attempts:1\n"

    @Test(.enabled(if: PrivateNetwork.isAvailable && !PrivateNetwork.isChild, "needs root and unshare"))
    func aResolverThatNeverAnswersIsCutByTheConnectTimeout() async throws {
        let (status, output) = try await within(.seconds(120)) {
            try await PrivateNetwork.run(
                filter: "DNSTimeoutTests/inAPrivateNetworkWithASilentNameServer", resolvConf: Self.resolvConf)
        }
        #expect(status == 0, "the child failed:\n\(output)")
        #expect(output.contains("inAPrivateNetworkWithASilentNameServer() passed"), "\(output)")
    }

    /// The child's half: runs only inside the namespace that ``PrivateNetwork`` prepared.
    @Test(.enabled(if: PrivateNetwork.isChild, "runs in the private network namespace only"))
    func inAPrivateNetworkWithASilentNameServer() async throws {
        let nameServer = try SilentUDPServer(port: 53)
        defer { nameServer.close() }
        let config = testConfiguration { $0.connectionTimeout = .milliseconds(500) }
        let manager = WebSocketManager(url: "ws://feed.silent-dns.test:80/", configuration: config)
        let error = try await #require(throws: WebSocketTimeoutError.self) {
            try await within(.seconds(20)) { try await manager.connect() }
        }
        #expect(error.operation == .connect)
        #expect(error.timeout == .milliseconds(500))
        #expect(error.message == "no connection within 0.5 seconds")
        #expect(manager.state == .disconnected)
        // The query did reach the silent server: it was the resolver the connect gave up on.
        #expect(nameServer.receivedDatagram(), "a DNS query on 127.0.0.1:53")
    }
}

/// A UDP socket on 127.0.0.1:`port` that never answers what it receives.
struct SilentUDPServer {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw RawPeerError.io(errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            Glibc.close(fd)
            throw RawPeerError.io(code)
        }
    }

    /// Whether a datagram is waiting (without reading it).
    func receivedDatagram() -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) >= 0
    }

    func close() { Glibc.close(fd) }
}
