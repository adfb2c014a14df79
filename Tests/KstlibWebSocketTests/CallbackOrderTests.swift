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

extension CallbackOrderTests {
    /// A gapless rotation between two connections that never overlap (each numbers its own
    /// messages) is forced after the overlap timeout while the new connection keeps streaming:
    /// the stream shows the old connection's messages, then every message of the new one in
    /// order, the ones it held during the rotation first.
    @Test func aForcedRotationDeliversTheOldConnectionThenTheNewOneInOrder() async throws {
        let server = try RawWebSocketServer { peer in
            try peer.acceptUpgrade(try peer.readRequest())
            var number = 0
            while true {
                try peer.sendText("\(peer.index):\(number)")
                number += 1
                usleep(300) // a fast feed the consumer keeps up with, not a flood
            }
        }
        defer { server.stop() }
        for round in 0..<20 {
            let config = testConfiguration {
                $0.gaplessRotation = true
                $0.rotationOverlapTimeout = .milliseconds(100)
                $0.queueSize = 0
            }
            let manager = WebSocketManager(url: server.url("/"), configuration: config)
            try await within { try await manager.connect() }
            let seen = try await within(.seconds(60)) { try await Self.rotateOnce(manager) }
            manager.forceClose() // the server never reads: a close handshake would wait in vain
            let connections = Dictionary(grouping: seen, by: \.connection)
            #expect(connections.count == 2, "round \(round)")
            // Each connection's messages in its own order, from its first, with no gap...
            for (connection, messages) in connections {
                let numbers = messages.map(\.number)
                let gap = zip(numbers, numbers.indices).first { $0 != $1 }
                #expect(gap == nil, "round \(round), connection \(connection): \(String(describing: gap))")
            }
            // ...and all of the old one's before any of the new one's.
            let lastOld = seen.lastIndex { $0.connection == seen[0].connection } ?? 0
            let firstNew = seen.firstIndex { $0.connection != seen[0].connection } ?? seen.count
            #expect(lastOld < firstNew, "round \(round): old at \(lastOld), new from \(firstNew)")
        }
    }

    /// Reads until a rotation happened and the new connection delivered 300 messages.
    static func rotateOnce(_ manager: WebSocketManager) async throws -> [(connection: Int, number: Int)] {
        var seen: [(connection: Int, number: Int)] = []
        var fromNew = 0
        var rotation: Task<Void, Never>?
        for try await message in manager.stream() {
            guard case .text(let text) = message else { continue }
            let parts = text.split(separator: ":").compactMap { Int($0) }
            seen.append((parts[0], parts[1]))
            if seen.count == 200 {
                rotation = Task { await manager.requestDisconnect(reconnectAfter: .zero, reason: .scheduled) }
            }
            if parts[0] != seen[0].connection { fromNew += 1 }
            if fromNew >= 300 { break }
        }
        await rotation?.value
        return seen
    }
}
