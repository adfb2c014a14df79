// Sending and receiving through the embedded echo server, byte-exact.
import Foundation
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite(.timeLimit(.minutes(3))) struct MessagingTests {
    /// Sizes from empty to 64 KiB, hitting every frame-length encoding boundary.
    static func size(_ index: Int) -> Int {
        let edges = [0, 1, 125, 126, 127, 65535, 65536, 32 * 1024, 32 * 1024 + 1]
        return index < edges.count ? edges[index] : (index * 7919) % (64 * 1024 + 1)
    }

    static func payload(_ index: Int) -> WebSocketMessage {
        let count = size(index)
        if index.isMultiple(of: 2) {
            // Mixed 1- to 4-byte UTF-8, cut at a scalar boundary near `count` bytes.
            let letters = Array("abcdefghijklmnopqrstuvwxyzäöü€😀".unicodeScalars)
            var scalars = String.UnicodeScalarView()
            var bytes = 0
            var position = index
            while bytes < count {
                let scalar = letters[position % letters.count]
                bytes += String(scalar).utf8.count
                scalars.append(scalar)
                position += 1
            }
            return .text(String(scalars))
        }
        return .binary((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) })
    }

    @Test(arguments: [true, false])
    func thousandMessagesRoundTripByteExact(compression: Bool) async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let config = testConfiguration { $0.compression.enabled = compression }
        let manager = WebSocketManager(url: server.url("/echo"), configuration: config)
        try await manager.connect()
        let count = 1000
        let receiver = Task {
            var received: [WebSocketMessage] = []
            for try await message in manager.stream() {
                received.append(message)
                if received.count == count { break }
            }
            return received
        }
        for index in 0..<count { try await manager.send(Self.payload(index)) }
        let received = try await within { try await receiver.value }
        #expect(received.count == count)
        for index in 0..<count where received[index] != Self.payload(index) {
            Issue.record("message \(index) (\(Self.size(index)) bytes) differs")
            break
        }
        let stats = manager.stats
        #expect(stats.messagesSent == count)
        #expect(stats.messagesReceived == count)
        #expect(stats.bytesSent == stats.bytesReceived)
        await manager.close()
    }

    @Test func jsonIsSentAndDecoded() async throws {
        struct Order: Codable, Equatable {
            let symbol: String
            let quantity: Int
        }
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/echo"), configuration: testConfiguration())
        try await manager.connect()
        try await manager.send(json: Order(symbol: "BTCUSDT", quantity: 3))
        let message = try await manager.receive(timeout: .seconds(5))
        #expect(try message.decode(Order.self) == Order(symbol: "BTCUSDT", quantity: 3))
        try await manager.send(json: Order(symbol: "ETHUSDT", quantity: 1))
        var iterator = manager.stream().decoded(as: Order.self).makeAsyncIterator()
        #expect(try await iterator.next() == Order(symbol: "ETHUSDT", quantity: 1))
        await manager.close()
    }

    @Test func receiveTimesOutWhenNothingArrives() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/echo"), configuration: testConfiguration())
        try await manager.connect()
        let error = try await #require(throws: WebSocketTimeoutError.self) {
            try await manager.receive(timeout: .milliseconds(200))
        }
        #expect(error.operation == .receive)
        #expect(error.timeout == .milliseconds(200))
        // Nothing was lost by the timeout: the next message still arrives.
        try await manager.send("after the timeout")
        #expect(try await manager.receive(timeout: .seconds(5)) == .text("after the timeout"))
        await manager.close()
    }

    @Test func tickerStreamsJSONQuotes() async throws {
        struct Quote: Decodable {
            let seq: Int
            let symbol: String
            let price: Double
        }
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let manager = WebSocketManager(
            url: server.url("/ticker?rate=0&count=100&symbol=ETHUSDT"), configuration: testConfiguration())
        try await manager.connect()
        var seqs: [Int] = []
        for try await quote in manager.stream().decoded(as: Quote.self) {
            #expect(quote.symbol == "ETHUSDT")
            seqs.append(quote.seq)
        }
        #expect(seqs == Array(1...100))
    }
}
