// URL checks happen before any byte is sent and explain what is wrong.
import Testing
@testable import KstlibWebSocket

@Suite(.timeLimit(.minutes(3))) struct WebSocketURLTests {
    @Test(arguments: [
        ("ws://example.com", false, "example.com", 80, "/", "example.com"),
        ("wss://example.com/feed?x=1&y=%20z", true, "example.com", 443, "/feed?x=1&y=%20z", "example.com"),
        ("ws://127.0.0.1:9001/echo", false, "127.0.0.1", 9001, "/echo", "127.0.0.1:9001"),
        ("ws://[::1]:8080/a/b", false, "::1", 8080, "/a/b", "[::1]:8080"),
        ("WSS://Example.com:443/x", true, "Example.com", 443, "/x", "Example.com"),
    ])
    func validURLsKeepTheirParts(url: String, secure: Bool, host: String, port: Int, path: String, hostHeader: String)
        throws
    {
        let parsed = try WebSocketURL.parse(url).get()
        #expect(parsed.secure == secure)
        #expect(parsed.host == host)
        #expect(parsed.port == port)
        #expect(parsed.pathAndQuery == path)
        #expect(parsed.hostHeader == hostHeader)
    }

    @Test(arguments: [
        ("http://example.com/", "unsupported scheme 'http'"),
        ("ws:///path", "missing host"),
        ("ws://host:99999/", "out of range"),
        ("ws://host:abc/", "not"),
        ("example.com", "scheme"),
        ("ws://exa mple.com/", "spaces or control characters"),
        ("ws://host/\r\nX: y", "spaces or control characters"),
        ("ws://host/#frag", "fragment"),
    ])
    func invalidURLsAreExplained(url: String, why: String) async {
        let manager = WebSocketManager(url: url, configuration: testConfiguration())
        do {
            try await manager.connect()
            Issue.record("connect to \(url) should fail")
        } catch let error as WebSocketConnectionError {
            #expect(error.url == url)
            #expect(error.attempts == 0)
            let failure = error.lastError as? WebSocketHandshakeFailure
            #expect(failure?.kind == .invalidURL)
            #expect(error.message.contains(why), "\(error.message)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
        #expect(manager.state == .disconnected)
    }
}
