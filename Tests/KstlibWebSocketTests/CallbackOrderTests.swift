// One order for what the application sees: a connection's connect before its messages and its
// disconnect, even when the server's first message and its drop arrive with the upgrade.
import Foundation
import Testing
@testable import KstlibWebSocket

@Suite struct CallbackOrderTests {
    /// The 101, a text message and a reset, as fast as the server can: libwebsockets reads the
    /// message and the drop in the same pass as the upgrade, while `connect()` is still waking.
    @Test func aConnectionThatDropsAtOnceReportsConnectThenMessageThenDisconnect() async throws {
        let server = try RawWebSocketServer { peer in
            let request = try peer.readRequest()
            let key = try #require(request.webSocketKey)
            let head = [
                "HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
                "Sec-WebSocket-Accept: \(RawPeer.acceptKey(for: key))",
            ]
            let response = Array((head.joined(separator: "\r\n") + "\r\n\r\n").utf8)
            try peer.sendRaw(response + RawPeer.frameBytes(opcode: RawOpcode.text, payload: Array("first".utf8)))
            peer.reset()
        }
        defer { server.stop() }
        var connected = 0
        for round in 0..<100 {
            let log = EventLog<String>()
            let config = testConfiguration {
                $0.onConnect = { log.append("connect") }
                $0.onMessage = { log.append("message \($0)") }
                $0.onDisconnect = { log.append("disconnect \($0)") }
            }
            let manager = WebSocketManager(url: server.url("/"), configuration: config)
            do {
                try await within { try await manager.connect() }
            } catch {
                // The drop may even beat the upgrade's completion; then nothing was connected.
                #expect(log.events.isEmpty, "round \(round): \(log.events)")
                continue
            }
            connected += 1
            _ = try await within { await drain(manager) }
            #expect(await log.wait(count: 3, timeout: .seconds(10)), "round \(round): \(log.events)")
            #expect(log.events == ["connect", "message first", "disconnect networkError"], "round \(round)")
            await manager.close()
        }
        // Most rounds connect: the race is provoked, not dodged.
        #expect(connected >= 50, "\(connected) rounds connected")
    }
}
