// Which connect failures are retried: provoked for real, with the default configuration where
// the point is that a permanent failure ends at once.
import Foundation
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite struct RetryPolicyTests {
    /// A server that answers every upgrade with `status` and `headers`.
    func rejecting(_ status: Int, _ reason: String, headers: [String] = []) throws -> RawWebSocketServer {
        try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            try peer.sendHTTP(status: status, reason: reason, headers: headers, body: "no")
        }
    }

    /// The default configuration (10 attempts, exponential backoff), with a clock that records
    /// every backoff the manager asks for; the connect timeout runs in real time.
    func defaultManager(_ url: String, _ adjust: (inout WebSocketConfiguration) -> Void = { _ in }) -> (
        WebSocketManager, RecordingClock
    ) {
        let clock = recordingClock()
        var config = WebSocketConfiguration()
        adjust(&config)
        return (WebSocketManager(url: url, configuration: config, clock: clock), clock)
    }

    @Test func theDefaultConfigurationEndsAForbiddenUpgradeAfterOneAttempt() async throws {
        let server = try rejecting(403, "Forbidden")
        defer { server.stop() }
        let (manager, clock) = defaultManager(server.url("/feed"))
        let error = try await connectFailure(manager)
        #expect(error.attempts == 1)
        #expect(error.httpStatus == 403)
        #expect(error.message == "could not connect to \(server.url("/feed")) (not retried: the failure is permanent)")
        #expect((error.lastError as? WebSocketHandshakeFailure)?.kind == .httpStatus)
        #expect(clock.delays.isEmpty, "no backoff before giving up: \(clock.delays)")
        #expect(server.acceptedCount == 2, "the attempt, and its replay for the body (RejectedUpgradeReplay)")
        #expect(manager.state == .disconnected)
    }

    @Test func theDefaultConfigurationEndsAnUntrustedCertificateAfterOneAttempt() async throws {
        let certificates = try await TestCertificates.shared()
        let server = try EmbeddedWebSocketServer(
            tls: EmbeddedServerTLS(
                certificateChainPath: certificates.untrustedServer.certificatePath,
                privateKeyPath: certificates.untrustedServer.keyPath))
        defer { server.stop() }
        let (manager, clock) = defaultManager(server.url("/echo"))
        let error = try await connectFailure(manager)
        #expect(error.attempts == 1)
        let failure = try #require(error.lastError as? WebSocketHandshakeFailure)
        #expect(failure.kind == .tls)
        #expect(failure.reason.contains("unable to get local issuer certificate"), "\(failure.reason)")
        #expect(clock.delays.isEmpty, "no backoff before giving up: \(clock.delays)")
    }

    /// Connects to a server answering `status` with `Retry-After: retryAfter` every time, with
    /// `attempts` attempts of `strategy` (base 1 s); the error and the backoffs asked for.
    func retried(
        _ status: Int, _ reason: String, retryAfter: Int, attempts: Int, strategy: ReconnectStrategy
    ) async throws -> (error: WebSocketConnectionError, url: String, delays: [Duration]) {
        let server = try rejecting(status, reason, headers: ["Retry-After: \(retryAfter)"])
        defer { server.stop() }
        let clock = recordingClock()
        let config = testConfiguration {
            $0.autoReconnect = true
            $0.connectionTimeout = .seconds(10) // a real-time timeout for the recording clock
            $0.maxReconnectAttempts = attempts
            $0.reconnectStrategy = strategy
            $0.reconnectDelay = .seconds(1)
        }
        let manager = WebSocketManager(url: server.url("/"), configuration: config, clock: clock)
        return (try await connectFailure(manager), server.url("/"), clock.delays)
    }

    @Test func serviceUnavailableIsRetriedNoSoonerThanRetryAfter() async throws {
        let (error, url, delays) = try await retried(
            503, "Service Unavailable", retryAfter: 7, attempts: 3, strategy: .fixedDelay)
        #expect(error.attempts == 3)
        #expect(error.httpStatus == 503)
        #expect(error.message == "could not connect to \(url)")
        #expect(delays == [.seconds(7), .seconds(7)])
    }

    @Test func tooManyRequestsWaitsForTheLongerOfRetryAfterAndTheBackoff() async throws {
        let (error, _, delays) = try await retried(
            429, "Too Many Requests", retryAfter: 3, attempts: 4, strategy: .exponentialBackoff)
        #expect(error.attempts == 4)
        #expect(error.httpStatus == 429)
        // Backoff 1, 2, 4 s; Retry-After raises the first two to 3 s.
        #expect(delays == [.seconds(3), .seconds(3), .seconds(4)])
    }

    @Test func aSubprotocolWeDidNotOfferEndsAfterOneAttempt() async throws {
        let server = try RawWebSocketServer { peer in
            try peer.acceptUpgrade(try peer.readRequest(), subprotocol: "not-offered")
            _ = peer.waitForEOF(timeout: .seconds(5))
        }
        defer { server.stop() }
        let (manager, clock) = defaultManager(server.url("/")) { $0.subprotocols = ["v1"] }
        let error = try await connectFailure(manager)
        #expect(error.attempts == 1)
        #expect((error.lastError as? WebSocketHandshakeFailure)?.kind == .badHandshake, "\(error)")
        #expect(clock.delays.isEmpty, "no backoff before giving up: \(clock.delays)")
    }

    @Test func aReplacedPolicyDecides() async throws {
        let server = try rejecting(403, "Forbidden")
        defer { server.stop() }
        let asked = EventLog<String>()
        let config = testConfiguration {
            $0.autoReconnect = true
            $0.maxReconnectAttempts = 3
            $0.reconnectStrategy = .immediate
            $0.retryPolicy = ConnectRetryPolicy { error in
                asked.append("\(error)")
                return .retry
            }
        }
        let manager = WebSocketManager(url: server.url("/"), configuration: config)
        let error = try await connectFailure(manager)
        #expect(error.attempts == 3)
        #expect(asked.events.count == 3)
        #expect(
            asked.events.allSatisfy { $0.hasPrefix("httpStatus: ") && $0.contains("(HTTP 403)") }, "\(asked.events)")
    }

    @Test func kstlibsRetryEverythingRetriesAForbiddenUpgrade() async throws {
        let server = try rejecting(403, "Forbidden")
        defer { server.stop() }
        let config = testConfiguration {
            $0.autoReconnect = true
            $0.maxReconnectAttempts = 2
            $0.reconnectStrategy = .immediate
            $0.retryPolicy = .retryEverything
        }
        let manager = WebSocketManager(url: server.url("/"), configuration: config)
        let error = try await connectFailure(manager)
        #expect(error.attempts == 2)
        #expect(server.acceptedCount == 2)
    }

    @Test func aPermanentFailureEndsBackgroundReconnectionAtOnce() async throws {
        // The first connection is upgraded then dropped; every later one is refused with 401.
        let server = try RawWebSocketServer { peer in
            let request = try peer.readRequest()
            if peer.index == 1 {
                try peer.acceptUpgrade(request)
                peer.reset()
            } else {
                try peer.sendHTTP(status: 401, reason: "Unauthorized")
            }
        }
        defer { server.stop() }
        let clock = recordingClock()
        let config = testConfiguration {
            $0.autoReconnect = true
            $0.connectionTimeout = .seconds(10) // a real-time timeout for the recording clock
            $0.maxReconnectAttempts = 5
        }
        let manager = WebSocketManager(url: server.url("/"), configuration: config, clock: clock)
        try await within { try await manager.connect() }
        let ending = try await within { await drain(manager) }
        let error = try #require(ending.error as? WebSocketReconnectError, "\(String(describing: ending.error))")
        #expect(error.attempts == 1)
        #expect(
            error.message
                == "could not reconnect to \(server.url("/")) after 1 attempt (not retried: the failure is permanent)")
        #expect((error.lastError as? WebSocketHandshakeFailure)?.httpStatus == 401)
        #expect(clock.delays == [.seconds(1)])
        #expect(manager.state == .disconnected)
    }

    // MARK: The standard verdict, case by case

    @Test(arguments: [408, 429, 500, 502, 503, 504])
    func statusesThatSayNotNowAreRetried(status: Int) {
        let failure = WebSocketHandshakeFailure(kind: .httpStatus, reason: "rejected", httpStatus: status)
        #expect(ConnectRetryPolicy.standard.decision(for: failure) == .retry)
    }

    @Test(arguments: [301, 302, 400, 401, 403, 404, 426])
    func otherStatusesArePermanent(status: Int) {
        let failure = WebSocketHandshakeFailure(kind: .httpStatus, reason: "rejected", httpStatus: status)
        #expect(ConnectRetryPolicy.standard.decision(for: failure) == .giveUp)
    }

    @Test func eachKindHasItsVerdict() {
        func verdict(_ kind: WebSocketHandshakeFailure.Kind, status: Int? = nil) -> ConnectRetryPolicy.Decision {
            ConnectRetryPolicy.standardDecision(
                for: WebSocketHandshakeFailure(kind: kind, reason: "test", httpStatus: status))
        }
        #expect(verdict(.connectFailed) == .retry)
        #expect(verdict(.dnsTemporaryFailure) == .retry)
        #expect(verdict(.unavailable) == .retry)
        #expect(verdict(.proxy) == .retry)
        #expect(verdict(.proxy, status: 502) == .retry)
        #expect(verdict(.proxy, status: 407) == .giveUp)
        #expect(verdict(.dnsFailure) == .giveUp)
        #expect(verdict(.tls) == .giveUp)
        #expect(verdict(.badHandshake) == .giveUp)
        #expect(verdict(.invalidURL) == .giveUp)
        #expect(verdict(.invalidRequest) == .giveUp)
        #expect(verdict(.incompatibleLibrary) == .giveUp)
        #expect(verdict(.closedDuringHandshake) == .retry)
        let timeout = WebSocketTimeoutError("no connection", operation: .connect, timeout: .seconds(1))
        #expect(ConnectRetryPolicy.standardDecision(for: timeout) == .retry)
        #expect(ConnectRetryPolicy.standardDecision(for: CocoaError(.fileNoSuchFile)) == .retry)
    }

    @Test func retryAfterTakesSecondsOrAnHTTPDate() throws {
        let now = try #require(ISO8601DateFormatter().date(from: "2026-01-01T00:00:00Z"))
        #expect(ConnectRetryPolicy.retryAfterDelay("120", now: now) == .seconds(120))
        #expect(ConnectRetryPolicy.retryAfterDelay(" 0 ", now: now) == .zero)
        #expect(ConnectRetryPolicy.retryAfterDelay("Thu, 01 Jan 2026 00:00:30 GMT", now: now) == .seconds(30))
        #expect(ConnectRetryPolicy.retryAfterDelay("Wed, 31 Dec 2025 23:00:00 GMT", now: now) == .zero)
        #expect(ConnectRetryPolicy.retryAfterDelay("-5", now: now) == nil)
        #expect(ConnectRetryPolicy.retryAfterDelay("soon", now: now) == nil)
        #expect(
            ConnectRetryPolicy.Decision.retry(notBefore: .seconds(7)).description == "retry(notBefore: 7.0 seconds)")
    }
}
