// The standard verdict: which connection failures are transient and which are permanent.
import Foundation

extension ConnectRetryPolicy {
    /// The verdict of ``standard``.
    ///
    /// Transient, so retried: a refused or reset TCP connection, a server that closes the
    /// connection before answering the upgrade, a connect timeout, a temporary
    /// DNS failure (the resolver did not answer), an event loop out of file descriptors, HTTP
    /// 408, 429 and 5xx (waiting at least as long as the server's `Retry-After`), a proxy that
    /// cannot be reached or answers 5xx, and any error this library does not know.
    ///
    /// Permanent, so thrown at once: a certificate that fails verification or names another
    /// host (every ``WebSocketHandshakeFailure/Kind/tls`` failure: a TLS handshake refused once
    /// is refused again), any other HTTP status (a 401, 403 or 404, a redirect, which is never
    /// followed), a malformed or refused upgrade (subprotocol, extension, accept hash), a name
    /// that does not exist, an invalid URL or request, a proxy that answers 4xx, and a loaded
    /// libwebsockets the package cannot use.
    public static func standardDecision(for error: any Error) -> Decision {
        if error is WebSocketTimeoutError { return .retry }
        guard let failure = error as? WebSocketHandshakeFailure else { return .retry }
        switch failure.kind {
        case .tls, .badHandshake, .invalidURL, .invalidRequest, .dnsFailure, .incompatibleLibrary:
            return .giveUp
        case .httpStatus, .proxy:
            guard let status = failure.httpStatus else { return .retry }
            return decision(forStatus: status, retryAfter: failure.headers["retry-after"])
        default:
            return .retry
        }
    }

    /// 408, 429 and 5xx say "not now": retried, not before `Retry-After`; other statuses are final.
    static func decision(forStatus status: Int, retryAfter: String?) -> Decision {
        guard status == 408 || status == 429 || (500...599).contains(status) else { return .giveUp }
        guard let retryAfter, let delay = retryAfterDelay(retryAfter, now: Date()) else { return .retry }
        return .retry(notBefore: delay)
    }

    /// A `Retry-After` value (RFC 9110 10.2.3): delay-seconds or an HTTP-date; `nil` if neither.
    static func retryAfterDelay(_ value: String, now: Date) -> Duration? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(text), seconds >= 0 { return .seconds(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text) else { return nil }
        return .seconds(max(0, date.timeIntervalSince(now).rounded(.up)))
    }
}
