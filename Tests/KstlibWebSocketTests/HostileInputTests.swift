// Regression tests for the hostile inputs `make fuzz` found or exercised (Fuzz/).
import Foundation
import Testing
@testable import KstlibWebSocket

@Suite("Hostile input", .timeLimit(.minutes(3)))
struct HostileInputTests {
    // MARK: URL

    /// Found by fuzz-url: `[]` passed the "missing host" check, then lost its brackets and left
    /// an empty host for the handshake.
    @Test("Brackets around nothing are a missing host", arguments: ["ws://[]/b", "wss://[]:443/", "ws://[]"])
    func emptyBracketedHost(url: String) {
        #expect(
            WebSocketURL.parse(url) == .failure(WebSocketHandshakeFailure(kind: .invalidURL, reason: "missing host")))
    }

    @Test(
        "Control characters anywhere in the URL are refused",
        arguments: [
            "ws://ho\u{0}st/", "ws://host/a\u{0}b", "ws://host/?q=\n", "ws://host\r/", "ws://host/\u{7F}",
            "ws://host/\tx",
        ]
    )
    func controlCharacters(url: String) {
        #expect(
            WebSocketURL.parse(url)
                == .failure(
                    WebSocketHandshakeFailure(
                        kind: .invalidURL, reason: "the URL contains spaces or control characters")))
    }

    @Test(
        "Ports outside 1-65535 or not a number are refused",
        arguments: [
            ("ws://host:0/", "port 0 is out of range 1-65535"),
            ("ws://host:65536/", "port 65536 is out of range 1-65535"),
            ("ws://host:99999999999999999999/", "the port is not a number in 1-65535"),
            ("ws://host:-1/", "not a valid URL"),
            ("ws://[::1]:/", "the port is not a number in 1-65535"),
        ])
    func badPorts(url: String, reason: String) {
        #expect(WebSocketURL.parse(url) == .failure(WebSocketHandshakeFailure(kind: .invalidURL, reason: reason)))
    }

    @Test(
        "IPv6 literals keep their zone and mapped forms, and the Host header brackets them",
        arguments: [
            ("ws://[fe80::1%25eth0]:9001/x", "fe80::1%25eth0", 9001, "[fe80::1%25eth0]:9001"),
            ("wss://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1", 443, "[::ffff:127.0.0.1]"),
            ("ws://[2001:DB8::1]:80", "2001:DB8::1", 80, "[2001:DB8::1]"),
        ])
    func ipv6Literals(url: String, host: String, port: Int, hostHeader: String) throws {
        let parsed = try WebSocketURL.parse(url).get()
        #expect(parsed.host == host)
        #expect(parsed.port == port)
        #expect(parsed.hostHeader == hostHeader)
        // Re-rendered from its parts, the URL parses back to the same value (fuzz-url's invariant).
        let rendered = "\(parsed.secure ? "wss" : "ws")://\(parsed.hostHeader)\(parsed.pathAndQuery)"
        #expect(WebSocketURL.parse(rendered) == .success(parsed))
    }

    @Test("Malformed IPv6 literals are refused", arguments: ["ws://[::1/", "ws://::1/", "ws://[::1]x/"])
    func malformedIPv6(url: String) {
        guard case .failure(let failure) = WebSocketURL.parse(url) else {
            Issue.record("\(url) parsed as \(WebSocketURL.parse(url))")
            return
        }
        #expect(failure.kind == .invalidURL)
    }

    @Test("Percent-encoded CR and LF stay encoded in the request path")
    func encodedLineBreaks() throws {
        let parsed = try WebSocketURL.parse("ws://host/a%0D%0AX-Injected:%201?b=%00").get()
        #expect(parsed.pathAndQuery == "/a%0D%0AX-Injected:%201?b=%00")
    }

    // MARK: Configuration file

    /// Loads `yaml` through the internal init, returning the configuration and every warning.
    private func load(_ yaml: String) throws -> (WebSocketConfiguration, [String]) {
        var warnings: [String] = []
        let config = try WebSocketConfiguration(yaml: yaml, source: "hostile.yml", warn: { warnings.append($0) })
        return (config, warnings)
    }

    /// Found by fuzz-config: a connection age beyond what a `Duration` can hold (about 1.7e20 s)
    /// trapped in `Duration.seconds(_:)`; one beyond 2^63 s loaded, then trapped when printed or
    /// slept on. Now clamped to 1e9 s with the usual warning.
    @Test(
        "A huge connection age is clamped to 1e9 s, not a crash",
        arguments: [String(repeating: "4", count: 90) + "1", "1e300", "1e19", "1000000001"])
    func hugeConnectionAge(value: String) throws {
        let (config, warnings) = try load("websocket: {proactive: {max_connection_age: \(value)}}")
        #expect(config.maxConnectionAge == .seconds(1_000_000_000))
        #expect(
            warnings == [
                "hostile.yml: websocket.proactive.max_connection_age = \(value) is above its bounds "
                    + "0...1000000000 s; using 1000000000 s"
            ])
    }

    @Test("A connection age too small to be a Duration means no limit, as 0 does")
    func tinyConnectionAge() throws {
        let (config, warnings) = try load("websocket: {proactive: {max_connection_age: 1e-30}}")
        #expect(config.maxConnectionAge == nil)
        #expect(warnings.isEmpty)
        let (limit, _) = try load("websocket: {proactive: {max_connection_age: 1000000000}}")
        #expect(limit.maxConnectionAge == .seconds(1_000_000_000))
    }

    /// Eight levels of ten aliases each: 10^8 scalars once expanded. Writing the value out in
    /// full for the error message took minutes and gigabytes; it is now cut at 200 characters.
    @Test("A billion-laughs value is cut short in the error", .timeLimit(.minutes(1)))
    func aliasBomb() throws {
        var yaml = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for (name, previous) in zip(["b", "c", "d", "e", "f", "g", "h"], ["a", "b", "c", "d", "e", "f", "g"]) {
            yaml += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
        }
        yaml += "websocket: {ping: *h}\n"
        let error = try #require(throws: WebSocketConfigurationError.self) { try load(yaml) }
        #expect(error.key == "websocket.ping")
        #expect(error.file == "hostile.yml")
        #expect(error.message == "expected a mapping of interval, timeout, got a list")
        #expect(error.value.hasPrefix("[[[[[[[[x, x, x, x, x, x, x, x, x, x], [x, x"))
        #expect(error.value.hasSuffix("…"))
        #expect(error.value.utf8.count == 200 + "…".utf8.count)
    }

    @Test("A huge scalar of the wrong type is cut short in the error")
    func hugeScalar() throws {
        let error = try #require(throws: WebSocketConfigurationError.self) {
            try load("websocket: {ping: {interval: \(String(repeating: "z", count: 100_000))}}")
        }
        #expect(error.key == "websocket.ping.interval")
        #expect(error.value == String(repeating: "z", count: 200) + "…")
    }

    @Test("Nesting deeper than libyaml allows is invalid YAML, not a stack overflow")
    func deepNesting() throws {
        let depth = 20_000
        for yaml in [
            "websocket: {ping: \(String(repeating: "[", count: depth))\(String(repeating: "]", count: depth))}",
            "websocket: {ping: \(String(repeating: "{a: ", count: depth))1\(String(repeating: "}", count: depth))}",
        ] {
            let error = try #require(throws: WebSocketConfigurationError.self) { try load(yaml) }
            #expect(error.key == "")
            #expect(error.message.hasPrefix("invalid YAML: Maximum nesting level reached"), "\(error.message)")
        }
    }

    @Test("Nesting libyaml accepts is a wrong type, written out only up to 200 characters")
    func nestingWithinTheLimit() throws {
        let depth = 500
        let error = try #require(throws: WebSocketConfigurationError.self) {
            try load(
                "websocket: {ping: \(String(repeating: "[", count: depth))\(String(repeating: "]", count: depth))}")
        }
        #expect(error.key == "websocket.ping")
        #expect(error.message == "expected a mapping of interval, timeout, got a list")
        #expect(error.value == String(repeating: "[", count: 200) + "…")
    }

    @Test("Keys that are not strings are unknown keys, written out in the warning")
    func nonScalarKeys() throws {
        let (config, warnings) = try load("websocket: {[ping]: {interval: 7}, {a: 1}: 2, ping: {interval: 9}}")
        #expect(config.pingInterval == .seconds(9))
        #expect(warnings.count == 2)
        #expect(warnings.first?.hasPrefix("hostile.yml: unknown key websocket.[ping] ignored") == true)
        #expect(warnings.last?.hasPrefix("hostile.yml: unknown key websocket.{a: 1} ignored") == true)
    }

    @Test(
        "Explicit tags are read as their tag says",
        arguments: [
            (
                "websocket: {ping: {interval: !!str 20}}", "websocket.ping.interval",
                "expected a number of seconds, got a string"
            ),
            (
                "websocket: {queue: {size: !custom 5}}", "websocket.queue.size",
                "expected a whole number, got a value tagged !custom"
            ),
            (
                "websocket: {reconnect: {auto: !!int true}}", "websocket.reconnect.auto",
                "expected true or false, got an integer"
            ),
        ])
    func explicitTags(yaml: String, key: String, message: String) throws {
        let error = try #require(throws: WebSocketConfigurationError.self) { try load(yaml) }
        #expect(error.key == key)
        #expect(error.message == message)
    }

    // MARK: Handshake options

    @Test(
        "Header values with a control character are refused, a tab and non-ASCII are not",
        arguments: [
            ("a\u{0}b", "header 'X-Token' value contains a NUL byte"),
            ("a\rb", "header 'X-Token' value contains a carriage return (CR)"),
            ("a\u{7F}", "header 'X-Token' value contains a control character (0x7f)"),
            ("a\u{1B}[31m", "header 'X-Token' value contains a control character (0x1b)"),
        ])
    func controlCharactersInValues(value: String, reason: String) {
        var config = WebSocketConfiguration()
        config.setLegacyHeaders([("X-Token", value)])
        #expect(HandshakeRequest.validate(config) == WebSocketHandshakeFailure(kind: .invalidRequest, reason: reason))
    }

    @Test("A tab and UTF-8 text are fine in a header value")
    func tabAndUTF8InValues() {
        var config = WebSocketConfiguration()
        config.setLegacyHeaders([("X-Note", "caf\u{E9}\tok \u{1F600}")])
        config.origin = "https://b\u{FC}cher.example"
        #expect(HandshakeRequest.validate(config) == nil)
    }

    @Test(
        "Reserved names in any letter case and non-token names are refused, the name shown printably",
        arguments: [
            ("sEC-wEBsOCKET-kEY", "header 'sEC-wEBsOCKET-kEY' is set by the client itself (use the matching option)"),
            ("HOST", "header 'HOST' is set by the client itself (use the matching option)"),
            ("X-\u{0}Name", "header name 'X-\\u{0}Name' is not an HTTP token"),
            ("\u{130}nfo", "header name '\u{130}nfo' is not an HTTP token"),
            ("", "header name '' is not an HTTP token"),
        ])
    func badNames(name: String, reason: String) {
        var config = WebSocketConfiguration()
        config.setLegacyHeaders([(name, "v")])
        #expect(HandshakeRequest.validate(config) == WebSocketHandshakeFailure(kind: .invalidRequest, reason: reason))
    }

    @Test("A subprotocol list smuggled into one entry is refused")
    func subprotocolWithComma() {
        var config = WebSocketConfiguration()
        config.subprotocols = ["v1,v2"]
        #expect(
            HandshakeRequest.validate(config)
                == WebSocketHandshakeFailure(kind: .invalidRequest, reason: "subprotocol 'v1,v2' is not an HTTP token"))
        config.subprotocols = [""]
        #expect(
            HandshakeRequest.validate(config)
                == WebSocketHandshakeFailure(kind: .invalidRequest, reason: "subprotocol '' is not an HTTP token"))
    }

    // MARK: Proxy variables

    @Test(
        "Proxy settings with a bad or missing port name no proxy",
        arguments: [
            "proxy:0", "proxy:65536", "proxy:99999999999999999999999", "http://proxy:", "[::1]:99999", ":8080",
            "http://user@/",
        ]
    )
    func badProxySettings(setting: String) {
        #expect(ProxyEnvironment.parse(setting) == nil)
    }

    @Test("The last @ ends the user information of a proxy setting")
    func proxyUserInformation() throws {
        let proxy = try #require(ProxyEnvironment.parse("  http://us@er:p@ss@proxy.example:3128/path  "))
        #expect(proxy.host == "proxy.example")
        #expect(proxy.port == 3128)
    }

    // MARK: JSON

    @Test("Channel names with quotes, backslashes and control characters survive the subscription formats")
    func subscriptionEscapes() throws {
        let channel = "a\"b\\c\u{0}\u{1F}\u{2028}\u{1F600}</script>"
        let kstlib = try #require(
            SubscriptionFormat.kstlib.messages(for: .subscribe, channels: [channel], requestID: 1).first)
        #expect(
            try JSONDecoder().decode([String: String].self, from: Data(kstlib.utf8))
                == ["type": "subscribe", "channel": channel])
        struct Request: Decodable, Equatable {
            let method: String
            let params: [String]
            let id: Int
        }
        let binance = try #require(
            SubscriptionFormat.binance.messages(for: .unsubscribe, channels: [channel, ""], requestID: -7).first)
        #expect(
            try JSONDecoder().decode(Request.self, from: Data(binance.utf8))
                == Request(method: "UNSUBSCRIBE", params: [channel, ""], id: -7))
    }

    /// Any depth of nested lists: decoding recurses once per level, so without the decoder's
    /// depth limit 100,000 levels would overflow the stack.
    private indirect enum Nested: Decodable {
        case list([Nested])

        init(from decoder: any Decoder) throws {
            self = .list(try decoder.singleValueContainer().decode([Nested].self))
        }
    }

    @Test("Nesting past the decoder's depth limit is a decoding error, not a crash")
    func deeplyNestedJSON() throws {
        let depth = 100_000
        for message in [
            WebSocketMessage.text(String(repeating: "[", count: depth) + String(repeating: "]", count: depth)),
            WebSocketMessage.binary(
                Array(repeating: UInt8(ascii: "["), count: depth) + Array(repeating: UInt8(ascii: "]"), count: depth)),
        ] {
            #expect(throws: DecodingError.self) { try message.decode(Nested.self) }
        }
        _ = try WebSocketMessage.text("[[[]]]").decode(Nested.self)
    }

    // MARK: UTF-8

    /// Feeds `pieces` one after the other; the result of each feed, then whether it ended complete.
    private func feed(_ pieces: [[UInt8]]) -> (accepted: [Bool], complete: Bool) {
        var validator = UTF8Validator()
        var accepted: [Bool] = []
        for piece in pieces {
            accepted.append(piece.withUnsafeBytes { validator.feed($0) })
            if accepted.last == false { break }
        }
        return (accepted, validator.isComplete)
    }

    @Test(
        "Invalid UTF-8 split across chunks fails in the chunk that makes it invalid",
        arguments: [
            ([[0xED], [0xA0, 0x80]], [true, false]), // a UTF-16 surrogate, lead byte alone first
            ([[0xE0, 0x80], [0x80]], [false]), // an overlong 3-byte form fails on its second byte
            ([[0xF4], [0x90, 0x80, 0x80]], [true, false]), // above U+10FFFF
            ([[0xF0, 0x9F], [0x98], [0x41]], [true, true, false]), // cut short by ASCII
            ([Array("12345678".utf8), [0x80]], [true, false]), // a stray continuation after the ASCII fast path
            ([Array("1234567".utf8) + [0xC3], [0xA9] + Array("abcdefgh".utf8) + [0xFF]], [true, false]),
        ] as [([[UInt8]], [Bool])])
    func invalidAcrossChunks(pieces: [[UInt8]], accepted: [Bool]) {
        #expect(feed(pieces).accepted == accepted)
        #expect(String(validating: pieces.flatMap { $0 }, as: UTF8.self) == nil)
    }

    @Test("A code point split at every position is accepted, and complete only at its end")
    func validAcrossChunks() {
        let bytes = Array("\u{1F600}\u{20AC}\u{E9}".utf8)
        for first in 1..<bytes.count {
            for second in first..<bytes.count {
                let pieces = [Array(bytes[..<first]), Array(bytes[first..<second]), Array(bytes[second...])]
                #expect(feed(pieces) == ([true, true, true], true), "cut at \(first), \(second)")
                #expect(feed(Array(pieces.prefix(2))).complete == [4, 7, 9].contains(second), "cut at \(second)")
            }
        }
    }
}
