// What the library logs, where, and at which level: a failure thrown to the caller is the
// caller's to call an error.
import Foundation
import Logging
import Testing
@testable import KstlibWebSocket

@Suite struct LoggingTests {
    @Test func aFailedConnectIsLoggedAtDebugThroughTheApplicationsLogger() async throws {
        let server = try RawWebSocketServer { peer in
            _ = try peer.readRequest()
            try peer.sendHTTP(status: 403, reason: "Forbidden")
        }
        defer { server.stop() }
        let capture = LogCapture()
        let config = testConfiguration { $0.logger = capture.logger(label: "app.feed") }
        let manager = WebSocketManager(url: server.url("/"), configuration: config)
        let error = try await #require(throws: WebSocketConnectionError.self) {
            try await within { try await manager.connect() }
        }
        let records = capture.records
        #expect(records.allSatisfy { $0.label == "app.feed" })
        #expect(records.allSatisfy { $0.level < .notice }, "\(records.map { "\($0.level) \($0.message)" })")
        let ended = try #require(records.first { $0.message == "connection attempts ended" })
        #expect(ended.level == .debug)
        #expect(ended.metadata["error"] == "\(error)")
        #expect(ended.metadata["url"] == server.url("/"))
    }

    @Test func libwebsocketsErrorLinesAreNotices() {
        // They accompany failures the application receives as thrown errors.
        #expect(LogBridge.level(for: 1) == .notice)
        #expect(LogBridge.level(for: 2) == .warning)
    }
}
