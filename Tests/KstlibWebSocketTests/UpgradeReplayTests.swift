// A refused upgrade keeps every header and the body: the replay, over real sockets (plain, TLS,
// through a proxy), and when it does not happen.
import Foundation
import HTTPTypes
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite(.timeLimit(.minutes(3))) struct UpgradeReplayTests {
    static let json = #"{"error":"ip banned","until":"2026-12-06T00:00:00Z"}"#

    /// A server answering every upgrade with 403, `X-Reject-Reason: banned` and a JSON body.
    func forbidding() throws -> RawWebSocketServer {
        try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            try peer.sendHTTP(
                status: 403, reason: "Forbidden",
                headers: ["X-Reject-Reason: banned", "Content-Type: application/json"], body: Self.json)
        }
    }

    @Test func aForbiddenUpgradeKeepsItsReasonHeaderAndJSONBody() async throws {
        let server = try forbidding()
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/feed"), configuration: testConfiguration())
        let error = try await connectFailure(manager)
        #expect(error.attempts == 1)
        let failure = try #require(error.lastError as? WebSocketHandshakeFailure)
        #expect(failure.kind == .httpStatus)
        #expect(failure.httpStatus == 403)
        #expect(failure.headers["x-reject-reason"] == "banned")
        #expect(failure.headers["content-type"] == "application/json")
        #expect(failure.responseBody == Array(Self.json.utf8))
        #expect(failure.responseText == Self.json)
        #expect(failure.responseBodyTruncated == false)
        #expect(failure.replayedStatus == 403)
        #expect(failure.responseHeaders[HTTPField.Name("X-Reject-Reason")!] == "banned")
        #expect(server.acceptedCount == 2)
    }

    @Test func theReplaySendsTheSameRequestWithAFreshKey() async throws {
        let server = try RawWebSocketServer { peer in
            let request = try peer.readRequest()
            peer.record(request.requestLine)
            peer.record(
                request.headerLines.filter { !$0.lowercased().hasPrefix("sec-websocket-key:") }.joined(separator: "|"))
            peer.record(request.webSocketKey ?? "-")
            try peer.sendHTTP(status: 401, reason: "Unauthorized", body: "token expired")
        }
        defer { server.stop() }
        let config = testConfiguration {
            $0.additionalHeaders = [.authorization: "Bearer s3cr3t", HTTPField.Name("X-Client")!: "kstlib"]
            $0.origin = "https://app.example.com"
            $0.subprotocols = ["v3.stream", "v2.stream"]
        }
        let manager = WebSocketManager(url: server.url("/feed?x=1"), configuration: config)
        let error = try await connectFailure(manager)
        #expect((error.lastError as? WebSocketHandshakeFailure)?.responseText == "token expired")
        #expect(server.waitForScripts(count: 2, timeout: .seconds(10)))
        let records = server.scriptRecords
        try #require(records.count == 6, "\(records)")
        #expect(records[0] == "GET /feed?x=1 HTTP/1.1")
        #expect(records[3] == records[0])
        #expect(records[1] == records[4], "the original's headers, then the replay's")
        #expect(records[1].contains("Sec-WebSocket-Extensions: permessage-deflate"), "\(records[1])")
        #expect(records[2] != records[5], "a fresh Sec-WebSocket-Key")
        #expect(Data(base64Encoded: records[5])?.count == 16)
    }

    @Test func aChunkedBodyIsDecoded() async throws {
        let server = try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            try peer.sendRaw(
                Array(
                    ("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\nX-Request-Id: 42\r\n\r\n"
                        + "8\r\nno such \r\n4\r\nfeed\r\n0\r\n\r\n").utf8))
        }
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/nowhere"), configuration: testConfiguration())
        let failure = try #require(try await connectFailure(manager).lastError as? WebSocketHandshakeFailure)
        #expect(failure.httpStatus == 404)
        #expect(failure.responseText == "no such feed")
        #expect(failure.headers["x-request-id"] == "42")
        #expect(failure.responseBodyTruncated == false)
    }

    @Test(arguments: [true, false])
    func aBodyOver64KiBIsCutThereAndFlagged(announcedLength: Bool) async throws {
        let body = String(repeating: "0123456789abcdef", count: 6 * 1024) // 96 KiB
        let server = try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            let length = announcedLength ? "Content-Length: \(body.utf8.count)\r\n" : ""
            try peer.sendRaw(Array("HTTP/1.1 403 Forbidden\r\n\(length)\r\n\(body)".utf8))
            peer.close()
        }
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/"), configuration: testConfiguration())
        let failure = try #require(try await connectFailure(manager).lastError as? WebSocketHandshakeFailure)
        #expect(failure.responseBody == Array(body.utf8.prefix(64 * 1024)))
        #expect(failure.responseBodyTruncated)
    }

    @Test func aBodyArrivingInALaterSegmentIsWaitedFor() async throws {
        let server = try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            // libwebsockets closes on the head; only the replay (the second connection) reads on.
            guard peer.index == 2 else { return try peer.sendHTTP(status: 403, reason: "Forbidden", body: Self.json) }
            try peer.sendRaw(Array("HTTP/1.1 403 Forbidden\r\nContent-Length: \(Self.json.utf8.count)\r\n\r\n".utf8))
            guard try peer.waitUntilAcknowledged() else { throw RawPeerError.timeout }
            try peer.sendRaw(Array(Self.json.utf8.prefix(10)))
            guard try peer.waitUntilAcknowledged() else { throw RawPeerError.timeout }
            try peer.sendRaw(Array(Self.json.utf8.dropFirst(10)))
        }
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/"), configuration: testConfiguration())
        let failure = try #require(try await connectFailure(manager).lastError as? WebSocketHandshakeFailure)
        #expect(failure.responseText == Self.json)
        #expect(failure.responseBodyTruncated == false)
        #expect(server.waitForScripts(count: 2, timeout: .seconds(10)))
        #expect(server.scriptErrors.isEmpty, "\(server.scriptErrors)")
    }

    @Test func aTransient503IsNotReplayed() async throws {
        let server = try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            try peer.sendHTTP(status: 503, reason: "Service Unavailable", body: "overloaded")
        }
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/"), configuration: testConfiguration())
        let failure = try #require(try await connectFailure(manager).lastError as? WebSocketHandshakeFailure)
        #expect(failure.httpStatus == 503)
        #expect(failure.responseBody == nil)
        #expect(failure.replayedStatus == nil)
        #expect(server.acceptedCount == 1)
    }

    /// Off, a refusal keeps what libwebsockets kept: the status, and a header it has no token for
    /// only where it can list those (4.3 and later); never the body.
    @Test func switchedOffNothingIsReplayed() async throws {
        let server = try forbidding()
        defer { server.stop() }
        let manager = WebSocketManager(
            url: server.url("/"), configuration: testConfiguration { $0.rejectedUpgradeReplay = .never })
        let failure = try #require(try await connectFailure(manager).lastError as? WebSocketHandshakeFailure)
        #expect(failure.httpStatus == 403)
        #expect(failure.responseBody == nil)
        #expect(failure.replayedStatus == nil)
        let kept = LibWebSocketsRuntime.current.keepsEveryResponseHeader
        #expect(failure.headers["x-reject-reason"] == (kept ? "banned" : nil))
        #expect(server.acceptedCount == 1)
    }

    @Test func alwaysReplaysEveryRefusedAttempt() async throws {
        let server = try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            try peer.sendHTTP(status: 503, reason: "Service Unavailable", body: "attempt \(peer.index)")
        }
        defer { server.stop() }
        let config = testConfiguration {
            $0.rejectedUpgradeReplay = .always
            $0.autoReconnect = true
            $0.maxReconnectAttempts = 2
            $0.reconnectStrategy = .immediate
        }
        let manager = WebSocketManager(url: server.url("/"), configuration: config)
        let error = try await connectFailure(manager)
        #expect(error.attempts == 2)
        let failure = try #require(error.lastError as? WebSocketHandshakeFailure)
        #expect(failure.responseText == "attempt 4", "attempt, replay, attempt, replay")
        #expect(server.acceptedCount == 4)
    }

    /// The server answers the replay otherwise: the failure keeps the original answer and says
    /// what the replay got.
    @Test func aReplayWithAnotherStatusKeepsTheOriginal() async throws {
        let server = try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            if peer.index == 1 {
                try peer.sendHTTP(status: 403, reason: "Forbidden", headers: ["Retry-After: 60"], body: "first")
            } else {
                try peer.sendHTTP(status: 429, reason: "Too Many Requests", body: "second")
            }
        }
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/"), configuration: testConfiguration())
        let failure = try #require(try await connectFailure(manager).lastError as? WebSocketHandshakeFailure)
        #expect(failure.httpStatus == 403)
        #expect(failure.replayedStatus == 429)
        #expect(failure.responseBody == nil)
        #expect(failure.headers["retry-after"] == "60")
        #expect(failure.headers["content-length"] == "5")
    }

    /// A replay that gets no answer ends with the attempt's timeout and leaves the failure as
    /// libwebsockets reported it: a 403, not a timeout.
    @Test func aSilentReplayEndsWithTheConnectTimeoutAndKeepsTheRefusal() async throws {
        let server = try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            if peer.index == 1 {
                try peer.sendHTTP(status: 403, reason: "Forbidden", body: "first")
            } else {
                _ = peer.waitForEOF(timeout: .seconds(10))
            }
        }
        defer { server.stop() }
        let config = testConfiguration { $0.connectionTimeout = .milliseconds(500) }
        let manager = WebSocketManager(url: server.url("/"), configuration: config)
        let failure = try #require(try await connectFailure(manager).lastError as? WebSocketHandshakeFailure)
        #expect(failure.kind == .httpStatus)
        #expect(failure.httpStatus == 403)
        #expect(failure.responseBody == nil)
        #expect(failure.replayedStatus == nil)
        #expect(server.waitForScripts(count: 2, timeout: .seconds(10)), "the replay's socket is closed")
    }

    @Test func aRefusalBehindAProxyIsReplayedThroughIt() async throws {
        let server = try forbidding()
        defer { server.stop() }
        let proxy = try ConnectProxy()
        defer { proxy.stop() }
        let config = testConfiguration { $0.proxy = .http(host: "127.0.0.1", port: proxy.port) }
        let manager = WebSocketManager(url: server.url("/"), configuration: config)
        let failure = try #require(try await connectFailure(manager).lastError as? WebSocketHandshakeFailure)
        #expect(failure.kind == .httpStatus)
        #expect(failure.responseText == Self.json)
        #expect(failure.headers["x-reject-reason"] == "banned")
        #expect(proxy.requests.count == 2, "\(proxy.requests)")
        #expect(proxy.requests.allSatisfy { $0.hasPrefix("CONNECT 127.0.0.1:\(server.port) ") }, "\(proxy.requests)")
    }

    /// Over TLS, with the server requiring a client certificate: the replay verifies the server
    /// with the same trust roots and presents the same identity, from files or from memory.
    @Test(arguments: [false, true])
    func aRefusalOverMutualTLSIsReplayedWithTheSameIdentity(inMemory: Bool) async throws {
        let certificates = try await TestCertificates.shared()
        let server = try await RejectingTLSServer.start(
            certificates, status: "403 Forbidden", headers: ["X-Reject-Reason: banned"], body: Self.json)
        defer { server.stop() }
        let config = testConfiguration {
            if inMemory {
                $0.tls.additionalTrustRoots = [.pem(certificates.ca.certificatePEM)]
                $0.tls.clientIdentity = .init(
                    certificate: .pem(certificates.client.certificatePEM), privateKey: .pem(certificates.client.keyPEM))
            } else {
                $0.tls.additionalTrustRoots = [.file(certificates.ca.certificatePath)]
                $0.tls.clientIdentity = .init(
                    certificate: .file(certificates.client.certificatePath),
                    privateKey: .file(certificates.client.keyPath))
            }
        }
        let manager = WebSocketManager(url: "wss://localhost:\(server.port)/feed", configuration: config)
        let failure = try #require(try await connectFailure(manager).lastError as? WebSocketHandshakeFailure)
        #expect(failure.kind == .httpStatus)
        #expect(failure.httpStatus == 403)
        #expect(failure.responseText == Self.json)
        #expect(failure.headers["x-reject-reason"] == "banned")
        let requests = try await server.requests(2)
        #expect(requests.allSatisfy { $0.hasPrefix("GET /feed HTTP/1.1") }, "\(requests)")
    }
}

/// What the replay reports when it gets no answer, each in our own words.
@Suite(.timeLimit(.minutes(3))) struct UpgradeReplayFailureTests {
    func options(_ url: String, address: String = "127.0.0.1") throws -> LWSConnection.Options {
        LWSConnection.Options(url: try WebSocketURL.parse(url).get(), address: address)
    }

    func replay(_ options: LWSConnection.Options, within limit: Duration = .seconds(5)) async -> UpgradeReplay.Outcome {
        await UpgradeReplay.run(options, until: .now + limit)
    }

    @Test func aRefusedPort() async throws {
        let port = refusedPort()
        let outcome = await replay(try options("ws://127.0.0.1:\(port)/"))
        #expect(outcome == .failed("cannot connect to 127.0.0.1:\(port): connection refused (ECONNREFUSED)"))
    }

    @Test func aServerThatClosesWithoutAnswering() async throws {
        let server = try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            peer.close()
        }
        defer { server.stop() }
        #expect(
            await replay(try options(server.url("/"))) == .failed("the server closed the connection without answering"))
    }

    @Test func aServerThatNeverAnswers() async throws {
        let server = try RawWebSocketServer { peer in _ = peer.waitForEOF(timeout: .seconds(10)) }
        defer { server.stop() }
        let outcome = await replay(try options(server.url("/")), within: .milliseconds(300))
        #expect(outcome == .failed("no answer before the deadline"))
    }

    @Test func somethingThatIsNotHTTP() async throws {
        let server = try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            try peer.sendRaw(Array("SSH-2.0-OpenSSH_9.2\r\n\r\n".utf8))
        }
        defer { server.stop() }
        let outcome = await replay(try options(server.url("/")))
        #expect(outcome == .failed("the answer is malformed: not an HTTP/1.1 status line"))
    }

    @Test func aProxyThatRefusesTheTunnel() async throws {
        let proxy = try ConnectProxy(mode: .refuse(status: 407))
        defer { proxy.stop() }
        var options = try options("ws://feed.example:80/", address: "feed.example")
        options.vhost.proxy = .init(address: "127.0.0.1", port: proxy.port)
        #expect(await replay(options) == .failed("the proxy refused the tunnel: HTTP 407"))
    }

    @Test func aTLSSessionThatBreaksBeforeTheAnswer() async throws {
        let certificates = try await TestCertificates.shared()
        let server = try await RejectingTLSServer.start(certificates, garbage: true)
        defer { server.stop() }
        var options = try options("wss://localhost:\(server.port)/")
        var tls = TLSConfiguration()
        tls.additionalTrustRoots = [.file(certificates.ca.certificatePath)]
        tls.clientIdentity = .init(
            certificate: .file(certificates.client.certificatePath), privateKey: .file(certificates.client.keyPath))
        options.vhost = VhostSettings(tls: tls, proxy: nil)
        #expect(await replay(options) == .failed("the connection failed before an answer came"))
    }

    @Test func aServerCertificateTheTrustRootsDoNotCover() async throws {
        let certificates = try await TestCertificates.shared()
        let server = try EmbeddedWebSocketServer(
            tls: EmbeddedServerTLS(
                certificateChainPath: certificates.untrustedServer.certificatePath,
                privateKeyPath: certificates.untrustedServer.keyPath))
        defer { server.stop() }
        var options = try options("wss://localhost:\(server.port)/echo")
        options.vhost = VhostSettings(
            tls: {
                var tls = TLSConfiguration()
                tls.additionalTrustRoots = [.file(certificates.ca.certificatePath)]
                return tls
            }(),
            proxy: nil)
        #expect(
            await replay(options)
                == .failed(
                    "TLS: certificate verification failed: unable to get local issuer certificate (X509 error 20)"))
        options.insecure = [.allowUnknownIssuer]
        guard case .answered(let answer) = await replay(options) else {
            Issue.record("the relaxation the connection uses must apply to the replay too")
            return
        }
        #expect(answer.status == 101)
    }
}
