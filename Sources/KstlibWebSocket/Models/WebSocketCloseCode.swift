// A close code that survives whole, registered or not.

/// A WebSocket close status code (RFC 6455 section 7.4).
///
/// A struct over the raw value rather than an enum, so private codes (3000-4999) survive intact.
public struct WebSocketCloseCode: RawRepresentable, Hashable, Sendable, ExpressibleByIntegerLiteral,
    CustomStringConvertible
{
    /// The code as sent on the wire.
    public let rawValue: UInt16
    /// Wraps any code, registered or not.
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// Wraps any code, registered or not: `WebSocketCloseCode(4001)`.
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }
    /// Lets a literal stand for a code: `catch let e as WebSocketClosedError where e.code == 4001`.
    public init(integerLiteral value: UInt16) { self.rawValue = value }

    /// 1000: the purpose of the connection was fulfilled.
    public static let normalClosure: Self = 1000
    /// 1001: the endpoint is going away (server shutdown, page navigation).
    public static let goingAway: Self = 1001
    /// 1002: the endpoint received a frame that violates the protocol.
    public static let protocolError: Self = 1002
    /// 1003: the endpoint received a data type it cannot accept.
    public static let unsupportedData: Self = 1003
    /// 1005: reported locally when a close frame carried no status code; never sent.
    public static let noStatusReceived: Self = 1005
    /// 1006: reported locally when the connection dropped without a close frame; never sent.
    public static let abnormalClosure: Self = 1006
    /// 1007: a text message was not valid UTF-8.
    public static let invalidFramePayloadData: Self = 1007
    /// 1008: the message violates the endpoint's policy.
    public static let policyViolation: Self = 1008
    /// 1009: the message is too big to process.
    public static let messageTooBig: Self = 1009
    /// 1010: the client expected an extension the server did not negotiate.
    public static let mandatoryExtension: Self = 1010
    /// 1011: the server met an unexpected condition.
    public static let internalError: Self = 1011
    /// 1012: the server is restarting.
    public static let serviceRestart: Self = 1012
    /// 1013: try again later.
    public static let tryAgainLater: Self = 1013
    /// 1014: a gateway or proxy got an invalid response from the upstream server.
    public static let badGateway: Self = 1014
    /// 1015: the TLS handshake failed (reported locally, never sent in a close frame).
    public static let tlsHandshake: Self = 1015

    /// Whether a close with this code ends a stream normally (as Python's `websockets` treats it).
    public var isNormal: Bool { self == .normalClosure || self == .goingAway }

    /// Whether the code may appear in a close frame on the wire (RFC 6455 7.4.1/7.4.2).
    public var isValidOnWire: Bool {
        switch rawValue {
        case 1000...1003, 1007...1014: return true
        case 3000...4999: return true
        default: return false
        }
    }

    /// The number alone (`"1006"`), as the seed's `{e.code}` prints it.
    public var description: String { "\(rawValue)" }
}
