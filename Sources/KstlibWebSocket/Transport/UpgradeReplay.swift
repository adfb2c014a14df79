// Asks a server that refused the upgrade the same question again, to read its whole answer.
import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// The upgrade request of a refused attempt, sent again on a connection of our own.
///
/// libwebsockets reads a refusal into its own buffer and hands over only the status and the
/// headers it knows by token (every header from 4.3), never the body. Servers put their reason
/// there (`{"error": "ip banned"}`), so when ``RejectedUpgradeReplay`` asks for it, the same
/// request (path, `Host`, `Origin`, subprotocols, extension offer, the application's headers; a
/// fresh `Sec-WebSocket-Key`) goes out once more, to the same address, through the same proxy,
/// with the same TLS verification, SNI and client certificate, and the whole answer is read:
/// status, every header, and the body up to ``maxBody`` bytes. Blocking; bounded by a deadline.
enum UpgradeReplay {
    /// What the replay got.
    enum Outcome: Sendable, Equatable {
        /// The server answered (with any status, 101 included).
        case answered(HTTPResponseReader.Response)
        /// No answer was read, in words.
        case failed(String)
    }

    /// The most of a body that is kept.
    static let maxBody = 64 * 1024

    /// Replays the request of the connection `options` describe, on a Dispatch worker; a
    /// cancelled caller gets `.failed` at once.
    static func run(_ options: LWSConnection.Options, until deadline: ContinuousClock.Instant) async -> Outcome {
        do {
            return try await OneShot.run { exchange(options, until: deadline) }
        } catch {
            return .failed("cancelled")
        }
    }

    /// The whole exchange (blocking).
    static func exchange(_ options: LWSConnection.Options, until deadline: ContinuousClock.Instant) -> Outcome {
        let url = options.url
        let proxy = options.vhost.proxy
        let (address, port) = proxy.map { ($0.address, $0.port) } ?? (options.address, url.port)
        let channel: ReplayChannel
        switch TCPConnect.open(address: address, port: port, until: deadline) {
        case .connected(let fd): channel = ReplayChannel(fd: fd)
        case .failed(let code):
            return .failed("cannot connect to \(address):\(port): \(SocketErrorCode(rawValue: code))")
        case .timedOut: return .failed("no TCP connection to \(address):\(port) before the deadline")
        }
        if proxy != nil, let refusal = openTunnel(channel, to: url.authority, until: deadline) {
            return .failed(refusal)
        }
        if url.secure,
            let problem = channel.startTLS(
                options.vhost, serverName: url.host, insecure: options.insecure, until: deadline)
        {
            return .failed("TLS: \(problem)")
        }
        guard channel.write(request(for: options, key: freshKey()), until: deadline) else {
            return .failed("the request could not be sent")
        }
        var reader = HTTPResponseReader(bodyLimit: maxBody)
        let stop = readAnswer(channel, into: &reader, until: deadline)
        if let malformed = reader.malformed { return .failed("the answer is malformed: \(malformed)") }
        guard let response = reader.response else {
            switch stop {
            case .endOfStream: return .failed("the server closed the connection without answering")
            case .failed: return .failed("the connection failed before an answer came")
            default: return .failed("no answer before the deadline")
            }
        }
        if response.status == 101 {
            // The server accepted this time: leave the WebSocket politely (a masked close, 1000).
            _ = channel.write(closeFrame(), until: deadline)
        }
        return .answered(response)
    }

    /// Reads until the response is complete or the channel stops giving bytes; why it stopped
    /// (`.bytes` when the response is complete).
    private static func readAnswer(
        _ channel: ReplayChannel, into reader: inout HTTPResponseReader, until deadline: ContinuousClock.Instant
    ) -> ReplayChannel.Read {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while reader.wantsMore {
            let read = channel.read(into: &chunk, until: deadline)
            guard case .bytes(let count) = read else {
                reader.finish(endOfStream: read == .endOfStream)
                return read
            }
            reader.feed(chunk[0..<count])
        }
        return .bytes(0)
    }

    /// A client close frame with code 1000, masked with a fresh key (RFC 6455 5.3).
    static func closeFrame() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        let key = (0..<4).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return [0x88, 0x82] + key + [0x03 ^ key[0], 0xE8 ^ key[1]]
    }

    /// `CONNECT authority` through the proxy; the proxy's refusal in words, nil once the tunnel is up.
    private static func openTunnel(
        _ channel: ReplayChannel, to authority: String, until deadline: ContinuousClock.Instant
    )
        -> String?
    {
        let connect = Array("CONNECT \(authority) HTTP/1.1\r\nHost: \(authority)\r\n\r\n".utf8)
        guard channel.write(connect, until: deadline) else { return "the CONNECT request could not be sent" }
        var reader = HTTPResponseReader(bodyLimit: 0, headOnly: true)
        _ = readAnswer(channel, into: &reader, until: deadline)
        guard let answer = reader.response, reader.isComplete else { return "the proxy did not open a tunnel" }
        guard (200...299).contains(answer.status) else { return "the proxy refused the tunnel: HTTP \(answer.status)" }
        return nil
    }

    /// The upgrade request as libwebsockets writes it (its client handshake, then the
    /// application's headers from `CLIENT_APPEND_HANDSHAKE_HEADER`), with `key`.
    static func request(for options: LWSConnection.Options, key: String) -> [UInt8] {
        var lines = [
            "GET \(options.url.pathAndQuery) HTTP/1.1", "Pragma: no-cache", "Cache-Control: no-cache",
            "Host: \(options.url.hostHeader)",
        ]
        if let origin = options.origin { lines.append("Origin: \(origin)") }
        lines += ["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: \(key)"]
        if !options.subprotocols.isEmpty {
            lines.append("Sec-WebSocket-Protocol: \(options.subprotocols.joined(separator: ", "))")
        }
        if options.compression.enabled { lines.append("Sec-WebSocket-Extensions: \(extensionOffer)") }
        lines.append("Sec-WebSocket-Version: 13")
        lines += options.headers.map { "\($0.name.lowercased()): \($0.value)" }
        return Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
    }

    /// The permessage-deflate offer ``ContextTables`` registers with libwebsockets.
    static let extensionOffer = "permessage-deflate; client_max_window_bits"

    /// A fresh `Sec-WebSocket-Key`: 16 random bytes in base64 (RFC 6455 4.1).
    static func freshKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }).base64EncodedString()
    }
}
