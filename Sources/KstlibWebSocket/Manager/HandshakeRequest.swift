// Checks the handshake options before any byte is sent.

/// Validates what the application adds to the upgrade request.
///
/// A CR or LF in a header would let a value smuggle extra headers (or a whole request) onto the
/// wire; NUL would be cut by the C layer. Such input is refused before connecting, with a message
/// that names the header.
enum HandshakeRequest {
    /// Headers the client sets itself; setting them by hand would break the handshake.
    static let reservedHeaders: Set<String> = [
        "host", "upgrade", "connection", "sec-websocket-key", "sec-websocket-version",
        "sec-websocket-extensions", "sec-websocket-protocol", "origin", "content-length",
    ]

    static func validate(_ config: WebSocketConfiguration) -> WebSocketHandshakeFailure? {
        for header in config.rawHeaders {
            if header.name.isEmpty || !header.name.utf8.allSatisfy(isTokenCharacter) {
                return invalid("header name '\(printable(header.name))' is not an HTTP token")
            }
            if reservedHeaders.contains(header.name.lowercased()) {
                return invalid("header '\(header.name)' is set by the client itself (use the matching option)")
            }
            if let bad = forbiddenCharacter(in: header.value) {
                return invalid("header '\(header.name)' value contains \(bad)")
            }
        }
        if let origin = config.origin, let bad = forbiddenCharacter(in: origin) {
            return invalid("origin contains \(bad)")
        }
        for subprotocol in config.subprotocols
        where subprotocol.isEmpty || !subprotocol.utf8.allSatisfy(isTokenCharacter) {
            return invalid("subprotocol '\(printable(subprotocol))' is not an HTTP token")
        }
        if config.compression.enabled && !windowBits.contains(config.compression.clientMaxWindowBits) {
            return invalid(
                "compression.clientMaxWindowBits is \(config.compression.clientMaxWindowBits), "
                    + "permessage-deflate allows \(windowBits.lowerBound)...\(windowBits.upperBound)")
        }
        return nil
    }

    /// RFC 7692 7.1.2: window sizes of 2^8 to 2^15 bytes (zlib's raw deflate needs 9 at least;
    /// libwebsockets turns 8 into 9, which any peer can inflate).
    static let windowBits = 8...15

    private static func invalid(_ reason: String) -> WebSocketHandshakeFailure {
        WebSocketHandshakeFailure(kind: .invalidRequest, reason: reason)
    }

    /// RFC 7230 `tchar`.
    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    private static func forbiddenCharacter(in value: String) -> String? {
        for byte in value.utf8 {
            switch byte {
            case 0x0D: return "a carriage return (CR)"
            case 0x0A: return "a line feed (LF)"
            case 0x00: return "a NUL byte"
            case 0x01...0x08, 0x0B, 0x0C, 0x0E...0x1F, 0x7F: return "a control character (0x\(String(byte, radix: 16)))"
            default: continue
            }
        }
        return nil
    }

    private static func printable(_ text: String) -> String {
        text.unicodeScalars.map {
            $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0)
        }.joined()
    }
}
