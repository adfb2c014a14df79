// RawWebSocketServer.swift — a scriptable, adversarial WebSocket server on raw sockets, for tests.
//
// Why: the client's failure paths (malformed frames, non-101 answers, no answer, dropped TCP, RST)
// can only be tested for real against a peer that misbehaves on command. Each accepted connection
// runs a test-supplied script on its own thread, so the script can block on the socket like a
// sequential protocol transcript; the server itself never writes a byte the script did not ask for.
// Linux (Glibc) only: stop() relies on shutdown(2) waking a thread blocked in accept(2).

// CLibWebSockets is imported for the socket declarations too: libwebsockets.h includes the system
// socket headers, and which Clang module then owns a name such as SHUT_RDWR can vary between builds.
import CLibWebSockets
import Foundation
import Glibc
import Synchronization

/// A TCP listener on loopback that hands every accepted connection to `script` on a new thread.
///
/// Connections stay open after their script returns, until the script closed them or `stop()` is
/// called, so "answer nothing" is simply a script that returns. `stop()` runs from `deinit` too.
final class RawWebSocketServer: Sendable {
    typealias Script = @Sendable (RawPeer) throws -> Void

    /// The address the listener is bound to ("127.0.0.1" or "::1").
    let host: String
    /// The port the kernel picked.
    let port: Int
    private let core: Core

    /// Binds `host` on an ephemeral port and starts accepting.
    /// - Parameter script: run once per connection on a dedicated thread; what it throws is kept in `scriptErrors`.
    init(host: String = "127.0.0.1", script: @escaping Script) throws {
        let (fd, port) = try makeLoopbackListener(host: host)
        self.host = host
        self.port = port
        self.core = Core(listenFD: fd, script: script)
        let core = self.core
        let thread = Thread { core.acceptLoop() }
        thread.name = "RawWebSocketServer.accept:\(port)"
        thread.start()
    }

    deinit { stop() }

    /// "ws://127.0.0.1:PORT/path" (IPv6 hosts are bracketed); a path without a leading "/" gets one.
    func url(_ path: String = "/") -> String {
        let authority = host.contains(":") ? "[\(host)]" : host
        return "ws://\(authority):\(port)\(path.hasPrefix("/") ? path : "/" + path)"
    }

    /// Connections accepted so far.
    var acceptedCount: Int { core.state.withLock { $0.accepted } }
    /// Scripts that have returned or thrown so far.
    var finishedCount: Int { core.state.withLock { $0.finished } }
    /// `String(describing:)` of every error a script threw, in completion order.
    var scriptErrors: [String] { core.state.withLock { $0.errors } }
    /// Notes scripts added with `RawPeer.record(_:)`, in order.
    var scriptRecords: [String] { core.state.withLock { $0.records } }

    /// Blocks until at least `count` scripts have finished; false on timeout. Uses a condition
    /// variable, so it returns as soon as the script ends.
    func waitForScripts(count: Int, timeout: Duration) -> Bool {
        core.wait(timeout: timeout) { $0.finished >= count }
    }

    /// Blocks until at least `count` connections have been accepted; false on timeout.
    func waitForAccepted(count: Int, timeout: Duration) -> Bool {
        core.wait(timeout: timeout) { $0.accepted >= count }
    }

    /// Idempotent. Closes the listener (shutdown wakes accept), shuts every connection down (which
    /// wakes scripts blocked on a read; they see EOF), waits for the accept thread and the script
    /// threads to finish (bounded at 10 s each, so a script stuck elsewhere cannot hang the suite),
    /// then closes the connections.
    func stop() {
        core.stop()
    }

    private static func string(_ nulTerminated: [CChar]) -> String {
        String(decoding: nulTerminated.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Numeric host and port of a socket address.
    fileprivate static func describeAddress(_ storage: sockaddr_storage) -> (host: String, port: UInt16) {
        var copy = storage
        return withUnsafeBytes(of: &copy) { raw in
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            if Int32(storage.ss_family) == AF_INET6 {
                var address = raw.load(as: sockaddr_in6.self)
                inet_ntop(AF_INET6, &address.sin6_addr, &text, socklen_t(text.count))
                return (Self.string(text), UInt16(bigEndian: address.sin6_port))
            } else {
                var address = raw.load(as: sockaddr_in.self)
                inet_ntop(AF_INET, &address.sin_addr, &text, socklen_t(text.count))
                return (Self.string(text), UInt16(bigEndian: address.sin_port))
            }
        }
    }
}

// MARK: - Shared state

/// What the accept thread, the script threads and the test thread share. Separate from the server
/// object so the threads do not keep the server alive (its `deinit` can then stop them).
///
/// All mutable state is in `state` (a Mutex); `signal` wakes the threads waiting on it.
private final class Core: Sendable {
    struct State {
        var stopped = false
        var acceptLoopDone = false
        var peers: [RawPeer] = []
        var accepted = 0
        var started = 0
        var finished = 0
        var errors: [String] = []
        var records: [String] = []
    }

    let listenFD: Int32
    let script: RawWebSocketServer.Script
    let state = Mutex(State())
    let signal = StateSignal()

    init(listenFD: Int32, script: @escaping RawWebSocketServer.Script) {
        self.listenFD = listenFD
        self.script = script
    }

    func update(_ change: (inout State) -> Void) { signal.update(state, change) }

    func wait(timeout: Duration, until predicate: (State) -> Bool) -> Bool {
        signal.wait(on: state, timeout: timeout, until: predicate)
    }

    func acceptLoop() {
        while true {
            var address = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    accept(listenFD, $0, &length)
                }
            }
            if fd < 0 {
                let code = errno
                if code == EINTR || code == ECONNABORTED { continue }
                // EINVAL after stop()'s shutdown; anything else is reported, since it ends accepting.
                if !state.withLock({ $0.stopped }) {
                    update { $0.errors.append("accept failed: \(RawPeerError.io(code))") }
                }
                break
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC) // accept4 needs _GNU_SOURCE, which Swift's Glibc module lacks
            var on: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
            let remote = RawWebSocketServer.describeAddress(address)
            let peer: RawPeer? = state.withLock { s in
                guard !s.stopped else { return nil }
                s.accepted += 1
                s.started += 1
                let peer = RawPeer(
                    fd: fd, index: s.accepted, remoteAddress: "\(remote.host):\(remote.port)",
                    recorder: { [self] note in self.update { $0.records.append(note) } })
                s.peers.append(peer)
                return peer
            }
            guard let peer else {
                rawSysClose(fd)
                break
            }
            update { _ in } // wake waitForAccepted
            let script = self.script
            let thread = Thread { [self] in
                var failure: String?
                do { try script(peer) } catch { failure = String(describing: error) }
                self.update { s in
                    if let failure { s.errors.append(failure) }
                    s.finished += 1
                }
            }
            thread.name = "RawWebSocketServer.script#\(peer.index)"
            thread.start()
        }
        update { $0.acceptLoopDone = true }
    }

    func stop() {
        let first = state.withLock { s -> Bool in
            defer { s.stopped = true }
            return !s.stopped
        }
        if first { rawSysShutdown(listenFD, Int32(SHUT_RDWR)) }
        let acceptJoined = wait(timeout: .seconds(10)) { $0.acceptLoopDone }
        if first && acceptJoined { rawSysClose(listenFD) }
        // The accept loop has ended, so the peer list is final.
        let peers = state.withLock { $0.peers }
        for peer in peers { peer.abort() }
        let scriptsJoined = wait(timeout: .seconds(10)) { $0.finished >= $0.started }
        if scriptsJoined {
            for peer in peers { peer.closeAfterScript() }
        }
        // A script still running keeps its peer alive; the peer closes its descriptor in deinit.
        state.withLock { $0.peers.removeAll() }
    }
}
