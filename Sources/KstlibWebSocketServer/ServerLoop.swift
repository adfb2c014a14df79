// ServerLoop: one embedded server's libwebsockets context, served on a thread of its own
// (ServiceThread), and the commands through which other threads reach it.
import Foundation
import KstlibLibWebSockets
import Logging
import Synchronization

/// A request from another thread, executed on the service thread.
enum ServerCommand: Sendable {
    /// Kill every connection's TCP socket without a close frame.
    case dropAll
    /// Send a close frame with this code and reason to every connection.
    case closeAll(code: UInt16, reason: String)
    /// Close every connection with 1001 and leave the loop once all are gone.
    case shutdown
    /// Leave the loop now; destroying the context drops whatever is still open.
    case forceStop
}

/// Open and accepted connection counts, the last /feed message number and refused client
/// certificates, readable from any thread.
final class ServerStatistics: Sendable {
    let open = Atomic<Int>(0)
    let accepted = Atomic<Int>(0)
    let feedSequence = Atomic<Int>(0)
    /// The fewest connections open after a close since the last mark (`Int.max` until one closes).
    let lowestOpen = Atomic<Int>(Int.max)
    /// Client certificates refused by the mutual-TLS check.
    let rejectedClientCertificates = Atomic<Int>(0)
    /// The close codes of the close frames clients sent, in order.
    let peerCloseCodes = Mutex<[UInt16]>([])
}

/// The service-thread side of an EmbeddedWebSocketServer.
///
/// `@unchecked Sendable` is safe because the mutable state is split by thread:
/// - `connections`, `feed`, `shuttingDown`, `exitRequested` and `addressWindows` are read and
///   written only on the service thread: in `run()` and in the callbacks libwebsockets makes
///   from the service passes and the context's destruction that `run()` drives.
/// - `service` is reached from other threads only through its queue; `statistics`, `finished`,
///   `ledger` and `logger` are Sendable; `host`, `requestedPort`, `tls` and `feedSequenceStart`
///   are immutable.
/// - `startup` is written by the service thread before it signals `started` and read by the
///   creating thread only after waiting on it.
final class ServerLoop: @unchecked Sendable {
    let host: String
    private let requestedPort: Int
    private let tls: EmbeddedServerTLS?
    /// The /feed counter's value before its first message.
    private let feedSequenceStart: Int
    let statistics = ServerStatistics()
    private let logger = Logger(label: "kstlib.websocket.server")
    private let service = ServiceThread<ServerCommand>(name: "kstlib-ws-server")
    /// Entered before the thread starts, left when the context is destroyed: stop() waits on it.
    private let finished = DispatchGroup()
    private let started = DispatchSemaphore(value: 0)
    private var startup: Result<Int, EmbeddedServerError>?

    // Service thread only.
    private var connections: [OpaquePointer: ServerConnection] = [:]
    /// The server-wide /feed sequence; exists while the context does.
    private var feed: FeedBroadcaster?
    private var shuttingDown = false
    private var exitRequested = false
    /// Recent connections per address, for ExchangeLimits.maxNewConnectionsPerWindow.
    private var addressWindows: AddressWindows
    /// The limits, their violations and the /topics counters.
    let ledger: ExchangeLedger

    init(host: String, port: Int, tls: EmbeddedServerTLS?, feedSequenceStart: Int = 0, limits: ExchangeLimits? = nil) {
        self.ledger = ExchangeLedger(limits: limits ?? ExchangeLimits())
        self.addressWindows = AddressWindows(window: limits?.connectionWindow ?? .seconds(300))
        self.host = host
        self.requestedPort = port
        self.tls = tls
        self.feedSequenceStart = feedSequenceStart
    }

    // MARK: Any thread

    /// Starts the service thread and waits until it listens. Returns the bound port.
    func start() throws(EmbeddedServerError) -> Int {
        finished.enter()
        service.start { [self] in run() }
        started.wait()
        switch startup {
        case .success(let port): return port
        case .failure(let error): throw error
        case nil: throw EmbeddedServerError(message: "service thread ended before reporting")
        }
    }

    /// Queues `command` and wakes the loop. Returns false once the context is gone.
    @discardableResult
    func post(_ command: ServerCommand) -> Bool {
        service.submit(command)
    }

    /// Closes every connection (1001), waits up to `grace` for them, then destroys the
    /// context and waits for the service thread to finish. Idempotent; never call it from
    /// the service thread.
    func stop(grace: DispatchTimeInterval) {
        if post(.shutdown), finished.wait(timeout: .now() + grace) == .timedOut {
            post(.forceStop)
        }
        finished.wait()
    }

    // MARK: Service thread

    /// The body of the service thread: create, serve, destroy.
    private func run() {
        defer { finished.leave() }
        let serverStart = ContinuousClock.now
        DefaultLog.installErrorsOnly()
        FileDescriptorLimit.adjustSoftLimit()
        let resources = ServerContextResources(host: host, port: requestedPort, tls: tls)
        // Unmanaged without a retain: the thread closure keeps `self` alive until run() returns,
        // which is after the context's destruction, the last point where libwebsockets calls back.
        var contextInfo = resources.contextInfo(user: Unmanaged.passUnretained(self).toOpaque())
        guard let context = service.createContext(&contextInfo) else {
            report(.failure(EmbeddedServerError(message: "cannot create a libwebsockets context")))
            return
        }
        guard let port = resources.listen(on: context) else {
            service.destroyContext()
            let why =
                tls == nil
                ? ""
                : " with TLS (is the certificate chain, key or client CA valid PEM, and the key the certificate's?)"
            report(.failure(EmbeddedServerError(message: "cannot listen on \(host):\(requestedPort)\(why)")))
            return
        }

        feed = FeedBroadcaster(
            context: context, statistics: statistics, serverStart: serverStart, firstSequence: feedSequenceStart)
        service.open()
        logger.debug(
            "embedded websocket server listening",
            metadata: ["host": "\(host)", "port": "\(port)", "tls": "\(tls != nil)"])
        report(.success(port))

        while !exitRequested {
            if service.servicePass() < 0 { break }
        }

        _ = service.close()
        // The feed's timer lives in our memory: unlink it while the context still exists.
        feed?.stop()
        // Calls back for what is still open (closed, destroyed), on this thread.
        service.destroyContext()
        feed = nil
        connections.removeAll()
        statistics.open.store(0, ordering: .relaxed)
        withExtendedLifetime(resources) {}
        logger.debug("embedded websocket server stopped", metadata: ["port": "\(port)"])
    }

    private func report(_ result: Result<Int, EmbeddedServerError>) {
        startup = result
        started.signal()
    }

    // MARK: Callback entry points (service thread)

    /// Acts on what libwebsockets reports (see ServerEvent).
    func handle(_ event: ServerEvent, on wsi: ServerWSI) -> ServerEvent.Outcome {
        switch event {
        case .wokenUp:
            drainCommands()
        case .upgradeRequested:
            return filter(wsi)
        case .established:
            return established(wsi)
        case .received(let chunk, let isFirst, let isFinal, let isBinary):
            connection(for: wsi)?.receive(chunk, isFirst: isFirst, isFinal: isFinal, isBinary: isBinary)
        case .writeable:
            return connection(for: wsi)?.writeable() ?? .proceed
        case .timer:
            connection(for: wsi)?.timer()
        case .peerClosing(let code):
            // A close frame without a code counts as 1005, as RFC 6455 reports it.
            statistics.peerCloseCodes.withLock { $0.append(code ?? 1005) }
        case .closed:
            forget(wsi)
        }
        return .proceed
    }

    /// The loop was woken up: executes the queued commands.
    func drainCommands() {
        for command in service.takeWork() {
            switch command {
            case .dropAll:
                for connection in connections.values { connection.drop() }
            case .closeAll(let code, let reason):
                for connection in connections.values {
                    connection.close(code: code, reason: reason, afterQueued: false)
                }
            case .shutdown:
                shuttingDown = true
                for connection in connections.values {
                    connection.close(code: 1001, reason: "server shutting down", afterQueued: false)
                }
                if connections.isEmpty { exitRequested = true }
            case .forceStop:
                exitRequested = true
            }
        }
    }

    /// An upgrade request: accept only known endpoints, and nothing while shutting down.
    /// Refuses with `.close`, after an HTTP error response.
    func filter(_ wsi: ServerWSI) -> ServerEvent.Outcome {
        if shuttingDown {
            UpgradeRejection.send(status: 503, reason: "Service Unavailable", on: wsi)
            return .close
        }
        guard let request = UpgradeRequest(wsi: wsi), Endpoint(path: request.path, query: request.query) != nil else {
            UpgradeRejection.send(status: 404, reason: "Not Found", on: wsi)
            return .close
        }
        return .proceed
    }

    /// The handshake completed: creates the connection and starts its endpoint.
    func established(_ wsi: ServerWSI) -> ServerEvent.Outcome {
        guard let request = UpgradeRequest(wsi: wsi),
            let endpoint = Endpoint(path: request.path, query: request.query)
        else { return .close }
        let compressed = PermessageDeflate.configure(wsi)
        let address = Self.peerAddress(wsi)
        let opened = addressWindows.open(from: address, at: .now)
        ledger.observe { $0.newConnectionsPerWindow = max($0.newConnectionsPerWindow, opened) }
        let behavior: any ConnectionBehavior
        if let limit = ledger.limits.maxNewConnectionsPerWindow, opened > limit {
            let reason = "too many new connections: over \(limit) per \(ledger.limits.connectionWindow)"
            ledger.record(LimitViolation(limit: .newConnections, address: address, reason: reason))
            behavior = CloseBehavior(code: LimitViolation.closeCode, reason: reason)
        } else if let chosen = self.behavior(for: endpoint, address: address) {
            behavior = chosen
        } else {
            return .close
        }
        let connection = ServerConnection(wsi: wsi, behavior: behavior, compressed: compressed)
        connections[wsi.pointer] = connection
        statistics.open.add(1, ordering: .relaxed)
        statistics.accepted.add(1, ordering: .relaxed)
        connection.open()
        return .proceed
    }

    /// The numeric address of `wsi`'s peer.
    private static func peerAddress(_ wsi: ServerWSI) -> String {
        wsi.peerAddress ?? "unknown"
    }

    /// The TLS handshake's client certificate check refused a certificate.
    func clientCertificateRejected(_ reason: String, code: Int) {
        statistics.rejectedClientCertificates.add(1, ordering: .relaxed)
        logger.debug("client certificate refused", metadata: ["reason": "\(reason)", "x509Error": "\(code)"])
    }

    /// The connection object of `wsi`, if it is an open websocket connection.
    @inline(__always)
    func connection(for wsi: ServerWSI) -> ServerConnection? {
        connections[wsi.pointer]
    }

    /// The connection is gone: forgets `wsi`.
    func forget(_ wsi: ServerWSI) {
        guard let connection = connections.removeValue(forKey: wsi.pointer) else { return }
        let open = statistics.open.subtract(1, ordering: .relaxed).newValue
        statistics.lowestOpen.min(open, ordering: .relaxed)
        connection.closed()
        if shuttingDown, connections.isEmpty {
            exitRequested = true
        }
    }

    /// The behavior of a new connection on `endpoint`; nil for /feed once the feed is gone.
    private func behavior(for endpoint: Endpoint, address: String) -> (any ConnectionBehavior)? {
        switch endpoint {
        case .echo: EchoBehavior(acceptsCommands: false)
        case .control: EchoBehavior(acceptsCommands: true)
        case .ticker(let options): TickerBehavior(options: options)
        case .push(let options): PushBehavior(options: options)
        case .feed(let options): feed.map { FeedBehavior(options: options, broadcaster: $0) }
        case .topics(let options): TopicsBehavior(options: options, ledger: ledger, address: address)
        case .close(let code, let reason): CloseBehavior(code: code, reason: reason)
        case .drop: DropBehavior()
        }
    }
}
