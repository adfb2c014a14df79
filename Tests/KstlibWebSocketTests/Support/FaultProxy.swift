// A loopback TCP proxy that injects network faults between a client and a server, for tests.
//
// Why: the failures a long-lived feed meets in production (a connection cut with FIN or RST, a
// path that silently stops carrying packets, latency, a stream split into tiny segments, a peer
// that half-closes) cannot be provoked by a well-behaved server. This proxy sits between the
// client and the embedded server, forwards bytes both ways on plain POSIX sockets (one thread per
// connection, poll(2), non-blocking I/O), and changes how it forwards them on command, for live
// connections, future ones, or both. Linux (Glibc) only: stop() relies on shutdown(2) waking a
// thread blocked in accept(2).

// CLibWebSockets is imported for the socket declarations too (see RawPeer.swift for why).
import CLibWebSockets
import Foundation
import Glibc
import Synchronization

/// A TCP proxy on 127.0.0.1 (port picked by the kernel) forwarding every connection to
/// `127.0.0.1:targetPort`, with faults switchable at runtime.
///
/// Faults combine (a delayed, chopped stream, say); ``heal(_:)`` lifts the ones that can be lifted.
/// Each connection reads its faults before every poll, so a change applies within one pass.
final class FaultProxy: Sendable {
    /// Which connections a fault applies to.
    struct Scope: OptionSet, Sendable {
        let rawValue: Int
        /// The connections open now.
        static let existing = Scope(rawValue: 1)
        /// The connections accepted from now on.
        static let future = Scope(rawValue: 2)
        static let all: Scope = [.existing, .future]
    }

    /// How ``cut(_:_:)`` ends a connection.
    enum CutStyle: Sendable, Equatable {
        /// An orderly close: both peers read end of stream, and what they still send is dropped
        /// until they close their side too.
        case fin
        /// An abortive close (SO_LINGER 0): both peers get a TCP reset.
        case reset
    }

    /// The port the proxy listens on.
    let port: Int
    /// The port every connection is forwarded to, on 127.0.0.1.
    let targetPort: Int
    private let core: FaultProxyCore

    /// Starts listening and forwarding to `targetPort` on 127.0.0.1.
    init(targetPort: Int) throws {
        let (fd, port) = try makeLoopbackListener()
        self.port = port
        self.targetPort = targetPort
        core = FaultProxyCore(listenFD: fd, targetPort: targetPort)
        let core = self.core
        let thread = Thread { core.acceptLoop() }
        thread.name = "FaultProxy.accept:\(port)"
        thread.start()
    }

    deinit { stop() }

    /// "ws://127.0.0.1:PORT/path", the proxy's address with `path` (which may carry a query).
    func url(_ path: String) -> String {
        "ws://127.0.0.1:\(port)\(path.hasPrefix("/") ? path : "/" + path)"
    }

    // MARK: Faults

    /// Cuts the connections in `scope` on both sides; with `.future`, every connection accepted
    /// afterwards is cut as soon as the server is dialled.
    func cut(_ style: CutStyle = .fin, _ scope: Scope) {
        core.apply(scope) { $0.cut = style }
    }

    /// Stops forwarding in both directions while keeping both sockets open: no byte, no FIN, no
    /// reset reaches either peer, as when a network path dies silently. Nothing is read, so what
    /// the peers send waits in the kernel and flows again, intact, after ``heal(_:)``.
    func blackHole(_ scope: Scope) {
        core.apply(scope) { $0.blackHole = true }
    }

    /// Holds every byte read for `duration` before forwarding it, in both directions, in order.
    /// Bytes already waiting are released by the delay in force when they are written, so a
    /// shorter delay (or ``heal(_:)``) lets them go sooner.
    func delay(_ duration: Duration, _ scope: Scope) {
        core.apply(scope) { $0.delay = duration }
    }

    /// Forwards every byte as its own write (TCP_NODELAY is on), in both directions.
    func chop(_ scope: Scope) {
        core.apply(scope) { $0.chop = true }
    }

    /// Shuts down the proxy's sending side toward the client (the client reads end of stream)
    /// while the client-to-server direction keeps flowing. The server's bytes are read and dropped
    /// from then on, so the proxy still sees when the server closes.
    func halfClose(_ scope: Scope) {
        core.apply(scope) { $0.halfClose = true }
    }

    /// Lifts black hole, delay and chop. A cut or a half-close already done cannot be undone; for
    /// `.future`, pending cuts and half-closes are cancelled too.
    func heal(_ scope: Scope = .all) {
        core.apply(scope) { faults in
            faults.blackHole = false
            faults.delay = .zero
            faults.chop = false
        }
        if scope.contains(.future) { core.resetTemplate() }
    }

    // MARK: Counters

    /// Connections accepted so far.
    var acceptedCount: Int { core.accepts.events.count }
    /// Connections fully closed so far (both sockets closed by the proxy).
    var finishedCount: Int { core.finishes.events.count }
    /// Connections open now.
    var openCount: Int { acceptedCount - finishedCount }
    /// Bytes written to either side so far.
    var bytesForwarded: Int { core.bytesForwarded.load(ordering: .relaxed) }
    /// Successful write calls so far (equal to ``bytesForwarded`` when everything was chopped).
    var writeCount: Int { core.writes.load(ordering: .relaxed) }

    /// Waits until at least `count` connections were accepted (a client reconnected, say).
    func waitForAccepted(count: Int, timeout: Duration = .seconds(10)) async -> Bool {
        await core.accepts.wait(count: count, timeout: timeout)
    }

    /// Waits until at least `count` connections were fully closed.
    func waitForFinished(count: Int, timeout: Duration = .seconds(10)) async -> Bool {
        await core.finishes.wait(count: count, timeout: timeout)
    }

    /// Idempotent. Closes the listener, resets every connection and waits (at most 10 s) for the
    /// threads to end.
    func stop() {
        core.stop()
    }

}

/// 127.0.0.1:`port`.
private func loopbackAddress(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return address
}

/// Sets O_NONBLOCK on `fd`.
private func makeNonBlocking(_ fd: Int32) {
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
}

/// read(2), reachable from types that have a `read` method of their own.
private func sysRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, buffer, count)
}

/// The faults in force on one connection (or the template for future ones).
private struct Faults: Sendable, Equatable {
    var cut: FaultProxy.CutStyle?
    var blackHole = false
    var delay: Duration = .zero
    var chop = false
    var halfClose = false
}

// MARK: - Shared state

/// What the accept thread, the connection threads and the test share; separate from the proxy
/// object so the threads do not keep it alive (its `deinit` then stops them).
///
/// `state` holds everything mutable; `signal` wakes `stop()` when it changes.
private final class FaultProxyCore: Sendable {
    /// A live connection as the fault switches see it.
    struct Link {
        var faults: Faults
        /// The write end of the connection thread's wake-up pipe (non-blocking).
        let wake: Int32
    }

    struct State {
        var stopped = false
        var acceptLoopDone = false
        var template = Faults()
        var links: [Int: Link] = [:]
        var running = 0
    }

    let listenFD: Int32
    let targetPort: Int
    let state = Mutex(State())
    let signal = StateSignal()
    /// The index of every accepted connection, in accept order.
    let accepts = EventLog<Int>()
    /// The index of every finished connection, in finishing order.
    let finishes = EventLog<Int>()
    let bytesForwarded = Atomic<Int>(0)
    let writes = Atomic<Int>(0)

    init(listenFD: Int32, targetPort: Int) {
        self.listenFD = listenFD
        self.targetPort = targetPort
    }

    func apply(_ scope: FaultProxy.Scope, _ change: (inout Faults) -> Void) {
        state.withLock { state in
            if scope.contains(.future) { change(&state.template) }
            guard scope.contains(.existing) else { return }
            for id in state.links.keys {
                change(&state.links[id]!.faults)
                Self.wake(state.links[id]!.wake)
            }
        }
    }

    func resetTemplate() {
        state.withLock { $0.template = Faults() }
    }

    func faults(of id: Int) -> Faults {
        state.withLock { $0.links[id]?.faults ?? Faults(cut: .fin) }
    }

    private static func wake(_ fd: Int32) {
        var byte: UInt8 = 1
        _ = write(fd, &byte, 1) // EAGAIN: the pipe is full, so a wake-up is pending anyway
    }

    private func update(_ change: (inout State) -> Void) { signal.update(state, change) }

    private func wait(timeout: Duration, until predicate: (State) -> Bool) -> Bool {
        signal.wait(on: state, timeout: timeout, until: predicate)
    }

    func stop() {
        let first = state.withLock { state -> Bool in
            defer { state.stopped = true }
            return !state.stopped
        }
        guard first else { return }
        rawSysShutdown(listenFD, Int32(SHUT_RDWR))
        apply(.all) { $0.cut = .reset } // a reset does not wait for the peers
        let joined = wait(timeout: .seconds(10)) { $0.acceptLoopDone && $0.running == 0 }
        // Only once accept has returned, so no thread can use a reused descriptor number.
        if joined { rawSysClose(listenFD) }
    }

    // MARK: Accepting

    func acceptLoop() {
        var index = 0
        while true {
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                break // EINVAL after stop()'s shutdown
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            var pipeFDs: [Int32] = [-1, -1]
            guard pipe(&pipeFDs) == 0 else {
                rawSysClose(fd)
                continue
            }
            for end in pipeFDs { makeNonBlocking(end) }
            let (wakeRead, wakeWrite) = (pipeFDs[0], pipeFDs[1])
            index += 1
            let id = index
            let registered = state.withLock { state -> Bool in
                guard !state.stopped else { return false }
                state.links[id] = Link(faults: state.template, wake: wakeWrite)
                state.running += 1
                return true
            }
            guard registered else {
                for descriptor in [fd, wakeRead, wakeWrite] { rawSysClose(descriptor) }
                break
            }
            accepts.append(id)
            let thread = Thread { [self] in
                serve(id: id, client: fd, wake: wakeRead)
                rawSysClose(wakeRead)
                update { state in
                    state.links[id] = nil
                    rawSysClose(wakeWrite) // under the lock: apply() writes to it under the lock
                    state.running -= 1
                }
                finishes.append(id)
            }
            thread.name = "FaultProxy.connection#\(id)"
            thread.start()
        }
        update { $0.acceptLoopDone = true }
    }

    // MARK: Forwarding

    /// How a connection's forwarding ended.
    private enum Ending {
        /// Both directions reached end of stream (after a FIN cut too, once the peers closed).
        case orderly
        /// A socket failed, or the connection was cut with RST: both sides get a reset.
        case abortive
    }

    private func serve(id: Int, client: Int32, wake: Int32) {
        guard let upstream = dial() else {
            finish(client, -1, .abortive)
            return
        }
        for fd in [client, upstream] {
            makeNonBlocking(fd)
            var on: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        finish(client, upstream, pump(id: id, client: client, upstream: upstream, wake: wake))
    }

    private func dial() -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = loopbackAddress(port: targetPort)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else {
            rawSysClose(fd)
            return nil
        }
        return fd
    }

    private func finish(_ client: Int32, _ upstream: Int32, _ ending: Ending) {
        for fd in [client, upstream] where fd >= 0 {
            if ending == .abortive {
                var option = linger(l_onoff: 1, l_linger: 0)
                _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
            }
            rawSysClose(fd)
        }
    }

    /// Forwards until both directions ended, a socket failed, or a cut was asked for.
    private func pump(id: Int, client: Int32, upstream: Int32, wake: Int32) -> Ending {
        var toServer = Direction(source: client, destination: upstream)
        var toClient = Direction(source: upstream, destination: client)
        var halfClosed = false
        var cutting = false
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            var faults = self.faults(of: id)
            if faults.cut == .reset { return .abortive }
            if faults.cut == .fin && !cutting {
                // FIN both ways, then drop what the peers still send until they close too: closing
                // a socket with unread bytes would send a reset instead of the FIN.
                cutting = true
                rawSysShutdown(client, Int32(SHUT_WR))
                rawSysShutdown(upstream, Int32(SHUT_WR))
                toServer.startDiscarding()
                toClient.startDiscarding()
            }
            if cutting { faults.blackHole = false } // the peers' end of stream must be read
            if faults.halfClose && !halfClosed {
                halfClosed = true
                rawSysShutdown(client, Int32(SHUT_WR))
                toClient.startDiscarding()
            }
            if toServer.finished && toClient.finished { return .orderly }

            // What to wait for.
            let now = ContinuousClock.now
            var clientEvents: Int16 = 0
            var upstreamEvents: Int16 = 0
            var nextDue: Duration?
            if !faults.blackHole {
                if toServer.wantsInput { clientEvents |= Int16(POLLIN) }
                if toClient.wantsInput { upstreamEvents |= Int16(POLLIN) }
                for (direction, isToServer) in [(toServer, true), (toClient, false)] {
                    guard let wait = direction.timeUntilDue(now: now, delay: faults.delay) else { continue }
                    if wait <= .zero {
                        if isToServer { upstreamEvents |= Int16(POLLOUT) } else { clientEvents |= Int16(POLLOUT) }
                    } else {
                        nextDue = min(nextDue ?? wait, wait)
                    }
                }
            }
            var fds = [
                pollfd(fd: wake, events: Int16(POLLIN), revents: 0),
                pollfd(fd: clientEvents == 0 ? -1 : client, events: clientEvents, revents: 0),
                pollfd(fd: upstreamEvents == 0 ? -1 : upstream, events: upstreamEvents, revents: 0),
            ]
            let timeout = nextDue.map { Int32(min(($0 / .milliseconds(1)).rounded(.up), 60_000)) } ?? -1
            if poll(&fds, 3, timeout) < 0 {
                if errno == EINTR { continue }
                return .abortive
            }
            if fds[0].revents != 0 { drainWakeUps(wake) }

            // Reading.
            let readable = Int16(POLLIN) | Int16(POLLHUP) | Int16(POLLERR)
            if fds[1].revents & readable != 0, !toServer.read(into: &buffer) { return .abortive }
            if fds[2].revents & readable != 0, !toClient.read(into: &buffer) { return .abortive }

            // Writing (and forwarding end of stream once everything before it went out).
            if !faults.blackHole {
                let later = ContinuousClock.now
                guard toServer.write(now: later, faults: faults, counters: self),
                    toClient.write(now: later, faults: faults, counters: self)
                else { return .abortive }
            }
        }
    }

    private func drainWakeUps(_ fd: Int32) {
        var bytes = [UInt8](repeating: 0, count: 64)
        while read(fd, &bytes, bytes.count) > 0 {}
    }

    /// Counts one successful write of `count` bytes.
    fileprivate func wrote(_ count: Int) {
        bytesForwarded.add(count, ordering: .relaxed)
        writes.add(1, ordering: .relaxed)
    }
}

/// One direction of a proxied connection: what was read from `source` and not yet written to
/// `destination`. Owned by the connection's thread.
private struct Direction {
    /// Bytes read at one time.
    struct Chunk {
        var bytes: [UInt8]
        var offset = 0
        let readAt: ContinuousClock.Instant
    }

    /// Reading stops while this much waits to be written (the sender then feels backpressure).
    static let maxQueued = 1 << 20

    let source: Int32
    let destination: Int32
    private var chunks: [Chunk] = []
    private var queued = 0
    private var sourceEnded = false
    /// The destination will get nothing more: what is read is dropped (after a half-close).
    private var discarding = false
    /// End of stream was forwarded (or there is nowhere to forward it).
    private(set) var finished = false

    init(source: Int32, destination: Int32) {
        self.source = source
        self.destination = destination
    }

    var wantsInput: Bool { !sourceEnded && queued < Self.maxQueued }

    /// How long until the first waiting byte may be written; `nil` when nothing waits.
    func timeUntilDue(now: ContinuousClock.Instant, delay: Duration) -> Duration? {
        chunks.first.map { $0.readAt + delay - now }
    }

    mutating func startDiscarding() {
        discarding = true
        chunks = []
        queued = 0
        if sourceEnded { finished = true }
    }

    /// Reads what the source has; `false` when the source failed (a reset, typically).
    mutating func read(into buffer: inout [UInt8]) -> Bool {
        guard wantsInput else { return true }
        let count = buffer.withUnsafeMutableBytes { sysRead(source, $0.baseAddress!, $0.count) }
        if count < 0 { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR }
        if count == 0 {
            sourceEnded = true
            if discarding || chunks.isEmpty { endStream() }
            return true
        }
        guard !discarding else { return true }
        chunks.append(Chunk(bytes: Array(buffer[0..<count]), readAt: .now))
        queued += count
        return true
    }

    /// Writes every byte that is due (one byte per call when chopping), then forwards end of
    /// stream if it was read and nothing waits any more; `false` when the destination failed.
    mutating func write(now: ContinuousClock.Instant, faults: Faults, counters: FaultProxyCore) -> Bool {
        while let first = chunks.first, now >= first.readAt + faults.delay {
            let remaining = first.bytes.count - first.offset
            let size = faults.chop ? 1 : remaining
            let written = first.bytes.withUnsafeBytes {
                rawSysSend(destination, $0.baseAddress! + first.offset, size, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            }
            if written < 0 { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR }
            counters.wrote(written)
            queued -= written
            if written == remaining {
                chunks.removeFirst()
            } else {
                chunks[0].offset += written
            }
            if faults.chop { break }
        }
        if sourceEnded && chunks.isEmpty { endStream() }
        return true
    }

    /// Forwards end of stream once.
    private mutating func endStream() {
        guard !finished else { return }
        finished = true
        if !discarding { rawSysShutdown(destination, Int32(SHUT_WR)) }
    }
}
