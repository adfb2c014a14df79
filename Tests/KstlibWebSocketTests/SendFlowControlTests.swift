// Send-side flow control, through the fault proxy: a network that stops (black hole) or is slow
// (delay) suspends `send` at the high watermark, keeps memory within the configured buffer, and
// loses or reorders nothing that was accepted.
import Foundation
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite struct SendFlowControlTests {
    static let messageSize = 1024
    static let high = 64 * 1024
    static let low = 16 * 1024

    /// An /echo server behind a fault proxy, and a manager connected through it.
    func connected(_ adjust: (inout WebSocketConfiguration) -> Void = { _ in }) async throws -> (
        EmbeddedWebSocketServer, FaultProxy, WebSocketManager
    ) {
        let server = try EmbeddedWebSocketServer()
        let proxy = try FaultProxy(targetPort: server.port)
        let config = testConfiguration {
            $0.sendBuffer = .init(highWatermark: Self.high, lowWatermark: Self.low)
            $0.compression = .disabled // the bytes on the wire are the bytes counted
            adjust(&$0)
        }
        let manager = WebSocketManager(url: proxy.url("/echo"), configuration: config)
        try await within { try await manager.connect() }
        return (server, proxy, manager)
    }

    /// Message `index`, numbered so the order can be checked, padded to `messageSize`.
    static func message(_ index: Int) -> String {
        let head = "\(index):"
        return head + String(repeating: "x", count: messageSize - head.utf8.count)
    }

    static func index(of message: WebSocketMessage) -> Int? {
        guard case .text(let text) = message, let colon = text.firstIndex(of: ":") else { return nil }
        return Int(text[..<colon])
    }

    @Test func aBlackHoleSuspendsSendWithinTheBufferThenTimesOutAndKeepsOrder() async throws {
        let (server, proxy, manager) = try await connected { $0.sendTimeout = .milliseconds(300) }
        defer { server.stop() }
        defer { proxy.stop() }
        proxy.blackHole(.existing)

        // Fill the kernel's buffers, then ours, until a send finds no room in time.
        let run = try await within(.seconds(60)) { try await Self.produce(manager, count: 1_000_000) }
        let (sent, highest) = (run.sent, run.peak)
        let timeout = run.error as? WebSocketTimeoutError
        let error = try #require(timeout, "a send to wait for room and time out")
        #expect(error.operation == .send)
        #expect(error.timeout == .milliseconds(300))
        #expect(error.message == "the outgoing buffer did not drain within 0.3 seconds")
        // The buffer filled up to the high watermark and never beyond it by more than one message.
        #expect(highest >= Self.high - Self.messageSize, "peak \(highest)")
        #expect(highest < Self.high + Self.messageSize, "peak \(highest)")
        #expect(manager.stats.bytesWaiting < Self.high + Self.messageSize)
        #expect(manager.stats.messagesSent == sent)
        #expect(manager.isConnected)

        // Healed, every accepted message comes back, once, in order; the timed-out one never went.
        proxy.heal()
        let indices = try await within(.seconds(60)) { try await Self.receiveIndices(manager, count: sent) }
        #expect(indices == Array(0..<sent))
        try await manager.send("after")
        #expect(try await manager.receive(timeout: .seconds(30)) == .text("after"))
        #expect(await waitUntil { manager.stats.bytesWaiting == 0 }, "the buffer to drain")
        await manager.close()
    }

    /// A producer that never pauses, against a path that holds every byte for half a second
    /// (the proxy then stops reading after 1 MiB in flight: about 2 MB/s, well under what a
    /// loop of `send` produces): `send` keeps the process within the buffer, and the echo
    /// brings every message back in order.
    @Test func aProducerFasterThanTheNetworkStaysWithinTheBufferAndKeepsOrder() async throws {
        let (server, proxy, manager) = try await connected { $0.sendTimeout = nil }
        defer { server.stop() }
        defer { proxy.stop() }
        proxy.delay(.milliseconds(500), .existing)
        let count = 6000 // 6 MB: twice what the kernel's socket buffers absorbed in the black hole
        let consumer = Task { try await Self.receiveIndices(manager, count: count) }
        let run = try await within(.seconds(120)) { try await Self.produce(manager, count: count) }
        #expect(run.error == nil, "\(String(describing: run.error))")
        #expect(run.peak >= Self.high - Self.messageSize, "the producer outran the network: peak \(run.peak)")
        #expect(run.peak < Self.high + Self.messageSize, "peak \(run.peak)")
        let indices = try await within(.seconds(120)) { try await consumer.value }
        #expect(indices == Array(0..<count))
        #expect(manager.stats.messagesSent == count)
        await manager.close()
    }

    /// A black-holed connection and a producer (no send timeout) parked at the high watermark.
    func parkedProducer() async throws -> (
        EmbeddedWebSocketServer, FaultProxy, WebSocketManager,
        Task<(sent: Int, peak: Int, error: (any Error)?), any Error>
    ) {
        let (server, proxy, manager) = try await connected { $0.sendTimeout = nil }
        proxy.blackHole(.existing)
        let producer = Task { try await Self.produce(manager, count: 1_000_000) }
        #expect(await waitUntil { Self.waitingSenders(manager) == 1 }, "the producer to wait for room")
        // Parked above the low watermark, where it stays: the kernel may still take a little of
        // what waits after the producer parked, so the buffer need not be at the high mark.
        #expect(manager.stats.bytesWaiting > Self.low)
        return (server, proxy, manager, producer)
    }

    @Test func aCancelledSenderLeavesNothingBehind() async throws {
        let (server, proxy, manager, producer) = try await parkedProducer()
        defer { server.stop() }
        defer { proxy.stop() }
        producer.cancel()
        let run = try await within { try await producer.value }
        #expect(run.error is CancellationError, "\(String(describing: run.error))")
        #expect(manager.stats.messagesSent == run.sent)
        proxy.heal()
        let indices = try await within(.seconds(60)) { try await Self.receiveIndices(manager, count: run.sent) }
        #expect(indices == Array(0..<run.sent))
        try await manager.send("after")
        #expect(try await manager.receive(timeout: .seconds(30)) == .text("after"))
        await manager.close()
    }

    /// The connection ends (killed here) while a sender waits for room: it is refused, not left
    /// waiting. The buffer holds one 32 MiB message, more than every kernel buffer on the black
    /// holed path can take, so it can never drain to the low watermark and let the sender in.
    @Test func sendersWaitingWhenTheConnectionEndsAreRefused() async throws {
        let (server, proxy, manager) = try await connected { $0.sendTimeout = nil }
        defer { server.stop() }
        defer { proxy.stop() }
        proxy.blackHole(.existing)
        try await manager.send([UInt8](repeating: 7, count: 32 << 20))
        let sender = Task { try await manager.send("waits") }
        #expect(await waitUntil { Self.waitingSenders(manager) == 1 }, "the sender to wait for room")
        manager.kill()
        let refused = try await #require(throws: WebSocketConnectionError.self) {
            try await within { try await sender.value }
        }
        #expect(refused.attempts == 0)
        #expect(refused.url == proxy.url("/echo"))
        #expect(refused.message == "cannot send: the connection ended before the message was sent")
        #expect(manager.stats.messagesSent == 1)
        #expect(manager.stats.bytesWaiting == 0)
    }

    @Test func watermarksAreKeptInOrder() {
        #expect(WebSocketConfiguration.SendBuffer().effective == (1 << 20, 256 << 10))
        #expect(WebSocketConfiguration.SendBuffer(highWatermark: 100, lowWatermark: 500).effective == (100, 100))
        #expect(WebSocketConfiguration.SendBuffer(highWatermark: 0, lowWatermark: -1).effective == (1, 0))
    }

    /// Sends numbered messages as fast as `send` returns, until `count` or a send fails; the
    /// highest ``WebSocketStats/bytesWaiting`` seen after each send.
    static func produce(_ manager: WebSocketManager, count: Int) async throws -> (
        sent: Int, peak: Int, error: (any Error)?
    ) {
        var peak = 0
        for index in 0..<count {
            do {
                try await manager.send(message(index))
            } catch {
                return (index, peak, error)
            }
            peak = max(peak, manager.stats.bytesWaiting)
        }
        return (count, peak, nil)
    }

    /// Senders parked in the current connection's gate.
    static func waitingSenders(_ manager: WebSocketManager) -> Int {
        manager.core.withLock { $0.link }?.gate.waitingCount ?? 0
    }

    /// The numbers of the next `count` messages received.
    static func receiveIndices(_ manager: WebSocketManager, count: Int) async throws -> [Int] {
        var indices: [Int] = []
        while indices.count < count {
            indices.append(index(of: try await manager.receive(timeout: .seconds(30))) ?? -1)
        }
        return indices
    }
}
