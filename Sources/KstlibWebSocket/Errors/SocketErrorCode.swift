// The operating system's reason a TCP connect failed, as a value a program can branch on.
import Glibc

/// An `errno` value from a failed TCP connect, with its symbolic name and our own words.
///
/// Found as ``WebSocketHandshakeFailure/socketError``. A struct over the raw code, like
/// swift-system's `Errno`, so any code survives whole; the named constants are the ones a
/// connect reports.
public struct SocketErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The raw `errno` value.
    public let rawValue: Int32

    /// Wraps a raw `errno` value.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// `ECONNREFUSED`: nothing listens on that port (the host answered with a reset).
    public static let connectionRefused = SocketErrorCode(rawValue: ECONNREFUSED)
    /// `ECONNRESET`: the peer reset the connection.
    public static let connectionReset = SocketErrorCode(rawValue: ECONNRESET)
    /// `ETIMEDOUT`: no answer in time.
    public static let timedOut = SocketErrorCode(rawValue: ETIMEDOUT)
    /// `EHOSTUNREACH`: no route to the host.
    public static let hostUnreachable = SocketErrorCode(rawValue: EHOSTUNREACH)
    /// `ENETUNREACH`: no route to the host's network.
    public static let networkUnreachable = SocketErrorCode(rawValue: ENETUNREACH)
    /// `EADDRNOTAVAIL`: the address cannot be used from this host.
    public static let addressNotAvailable = SocketErrorCode(rawValue: EADDRNOTAVAIL)

    private static let known: [Int32: (name: String, words: String)] = [
        ECONNREFUSED: ("ECONNREFUSED", "connection refused"),
        ECONNRESET: ("ECONNRESET", "connection reset"),
        ETIMEDOUT: ("ETIMEDOUT", "connection timed out"),
        EHOSTUNREACH: ("EHOSTUNREACH", "host unreachable"),
        ENETUNREACH: ("ENETUNREACH", "network unreachable"),
        EADDRNOTAVAIL: ("EADDRNOTAVAIL", "address not available"),
        EACCES: ("EACCES", "connect not permitted"),
        EPERM: ("EPERM", "connect not permitted"),
    ]

    /// The symbolic name, such as `ECONNREFUSED` (`errno N` for codes without a name here).
    public var name: String { Self.known[rawValue]?.name ?? "errno \(rawValue)" }

    /// Our words for it, such as `connection refused`.
    public var words: String { Self.known[rawValue]?.words ?? "connect failed" }

    /// `connection refused (ECONNREFUSED)`.
    public var description: String { "\(words) (\(name))" }
}
