// The transport over libwebsockets: connections on an EventLoop.

/// The library's ``Transport``: every connection is an ``LWSConnection`` serviced by `loop`.
///
/// Name resolution happens here, off the loop, so libwebsockets only ever sees numeric addresses.
struct LibWebSocketsTransport: Transport {
    let loop: EventLoop

    func makeConnection(_ request: TransportRequest, sink: any TransportSink) async throws
        -> any TransportConnection
    {
        if let problem = LibWebSocketsRuntime.current.incompatibility {
            throw WebSocketHandshakeFailure(kind: .incompatibleLibrary, reason: problem)
        }
        let (config, endpoint) = (request.configuration, request.endpoint)
        var options: LWSConnection.Options
        if let proxy = request.proxy {
            // The proxy resolves the target; we resolve only the proxy.
            let address = try await Resolver.resolve(proxy.host)
            options = Self.options(config, endpoint: endpoint, address: endpoint.host)
            options.vhost = VhostSettings(tls: config.tls, proxy: .init(address: address, port: proxy.port))
            options.proxyName = proxy
        } else {
            let address = try await Resolver.resolve(endpoint.host)
            options = Self.options(config, endpoint: endpoint, address: address)
        }
        return LWSConnection(options: options, sink: sink, home: loop)
    }

    func atEndOfPass(_ job: @escaping @Sendable () -> Void) { loop.atEndOfPass(job) }

    var executor: any TaskExecutor { loop }

    var taskExecutor: (any TaskExecutor)? { nil }

    static func options(_ config: WebSocketConfiguration, endpoint: WebSocketURL, address: String)
        -> LWSConnection.Options
    {
        var options = LWSConnection.Options(url: endpoint, address: address)
        options.headers = config.rawHeaders
        options.subprotocols = config.subprotocols
        options.origin = config.origin
        options.maxMessageSize = config.maxMessageSize
        options.pingInterval = config.pingInterval
        options.pingTimeout = config.pingTimeout
        options.compression = config.compression
        options.insecure = config.tls.insecure
        options.guardsPongs = config.guardsPongs
        options.vhost = VhostSettings(tls: config.tls, proxy: nil)
        return options
    }
}

extension LWSConnection: TransportConnection {
    func open() -> Bool {
        guard let home else { return false }
        return open(on: home)
    }

    /// Through a proxy, a failure before the upgrade may be the proxy's: a probe tells.
    func diagnose(_ failure: WebSocketHandshakeFailure, probeTimeout: Duration) async throws
        -> WebSocketHandshakeFailure
    {
        guard let proxy = options.proxyName, let address = options.vhost.proxy?.address else { return failure }
        return try await WebSocketManager.proxyFailure(
            failure, proxy: proxy, address: address, target: options.url.authority, probeTimeout: probeTimeout)
    }

    /// The same request, on a socket (or TLS session, or proxy tunnel) of our own.
    func replayRefusedUpgrade(until deadline: ContinuousClock.Instant) async -> UpgradeReplay.Outcome {
        await UpgradeReplay.run(options, until: deadline)
    }
}
