// permessage-deflate (RFC 7692) negotiated with two real server implementations.
import Foundation
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

/// Python's `websockets` echo server in a child process (installed by `make deps`).
final class PythonEchoServer: Sendable {
    let port: Int
    private let process: Process
    private let input: Pipe

    init(compression: Bool) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Support/python_websockets_server.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, "--compression", compression ? "deflate" : "none"]
        let output = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardInput = input
        try process.run()
        // The first line is the port; reading it blocks only until the server listens.
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            process.terminate()
            throw PythonServerUnavailable(output: String(decoding: line, as: UTF8.self))
        }
        self.port = port
        self.process = process
        self.input = input
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    struct PythonServerUnavailable: Error, CustomStringConvertible {
        let output: String
        var description: String { "python3 with `websockets` did not start (run `make deps`): \(output)" }
    }
}

@Suite(.timeLimit(.minutes(3))) struct PermessageDeflateTests {
    /// Round-trips compressible and incompressible messages and reports whether deflate was on.
    func roundTrip(url: String, compression: Bool) async throws -> Bool {
        let config = testConfiguration { $0.compression.enabled = compression }
        let manager = WebSocketManager(url: url, configuration: config)
        try await manager.connect()
        let compressed = manager.isCompressed
        var generator = SystemRandomNumberGenerator()
        for size in [0, 1, 100, 1000, 16_384, 200_000] {
            let text = String(repeating: "kstlib ", count: size / 7 + 1).prefix(size)
            try await manager.send(String(text))
            #expect(try await manager.receive(timeout: .seconds(10)) == .text(String(text)))
            let noise = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
            try await manager.send(noise)
            #expect(try await manager.receive(timeout: .seconds(10)) == .binary(noise))
        }
        await manager.close()
        return compressed
    }

    @Test(arguments: [true, false])
    func negotiatedWithPythonWebsockets(offer: Bool) async throws {
        let server = try PythonEchoServer(compression: true)
        defer { server.stop() }
        let compressed = try await roundTrip(url: "ws://127.0.0.1:\(server.port)/", compression: offer)
        #expect(compressed == offer)
    }

    @Test func aServerThatDeclinesLeavesItOff() async throws {
        let server = try PythonEchoServer(compression: false)
        defer { server.stop() }
        #expect(try await roundTrip(url: "ws://127.0.0.1:\(server.port)/", compression: true) == false)
    }

    @Test(arguments: [true, false])
    func negotiatedWithTheEmbeddedLibwebsocketsServer(offer: Bool) async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        // Both sides of the gate: where the embedded server offers no compression, none is used.
        let expected = offer && EmbeddedWebSocketServer.offersCompression
        #expect(try await roundTrip(url: server.url("/echo"), compression: offer) == expected)
    }
}

/// The window-size and context options reach the compressor: what the client puts on the wire
/// is read raw by our own server and judged by its size.
@Suite(.timeLimit(.minutes(3))) struct PermessageDeflateOptionTests {
    /// 1,000 incompressible bytes, four times: a window that reaches back 1,000 bytes compresses
    /// the repeats to almost nothing; a 512-byte window (9 bits) cannot see them.
    static let repeatedNoise: [UInt8] = {
        var generator = SystemRandomNumberGenerator()
        let block = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return block + block + block + block
    }()

    /// Sends `messages` through a raw server that accepts permessage-deflate and returns the
    /// compressed payload size of each frame the client sent.
    func compressedSizes(_ compression: WebSocketConfiguration.Compression, messages: Int) async throws -> [Int] {
        let server = try RawWebSocketServer { peer in
            let request = try peer.readRequest()
            try peer.acceptUpgrade(request, extraHeaders: ["Sec-WebSocket-Extensions: permessage-deflate"])
            var sizes: [String] = []
            for _ in 0..<messages {
                guard let frame = try peer.readFrame(), frame.rsv == 4 else { break }
                sizes.append("\(frame.payload.count)")
            }
            peer.record(sizes.joined(separator: ","))
            try peer.sendClose(code: 1000)
            _ = try peer.readUntilClose()
        }
        defer { server.stop() }
        let manager = WebSocketManager(
            url: server.url("/"), configuration: testConfiguration { $0.compression = compression })
        try await manager.connect()
        #expect(manager.isCompressed)
        for _ in 0..<messages { try await manager.send(Self.repeatedNoise) }
        _ = await drain(manager)
        #expect(server.waitForScripts(count: 1, timeout: .seconds(10)))
        let record = try #require(server.scriptRecords.first)
        return record.split(separator: ",").compactMap { Int($0) }
    }

    @Test func theDefaultWindowSeesTheRepeats() async throws {
        let sizes = try await compressedSizes(.init(), messages: 1)
        #expect(sizes.count == 1)
        #expect(sizes.allSatisfy { $0 < 1_500 }, "\(sizes)")
    }

    @Test func aNineBitWindowCannotReachBackAThousandBytes() async throws {
        var compression = WebSocketConfiguration.Compression()
        compression.clientMaxWindowBits = 9
        let sizes = try await compressedSizes(compression, messages: 1)
        #expect(sizes.count == 1)
        #expect(sizes.allSatisfy { $0 > 3_500 }, "\(sizes)")
    }

    /// With context takeover the second copy of a message refers back to the first; without it
    /// each message starts from an empty window.
    @Test(arguments: [false, true])
    func contextTakeover(disabled: Bool) async throws {
        var compression = WebSocketConfiguration.Compression()
        compression.clientNoContextTakeover = disabled
        let sizes = try await compressedSizes(compression, messages: 2)
        #expect(sizes.count == 2)
        if disabled {
            #expect(sizes[1] > 900, "\(sizes)")
        } else {
            #expect(sizes[1] < 100, "\(sizes)")
        }
    }

    @Test(arguments: [7, 16])
    func aWindowOutsideTheRFCRangeIsRefusedBeforeConnecting(bits: Int) async throws {
        let config = testConfiguration { $0.compression.clientMaxWindowBits = bits }
        let manager = WebSocketManager(url: "ws://127.0.0.1:9/", configuration: config)
        let error = try await #require(throws: WebSocketConnectionError.self) { try await manager.connect() }
        #expect(error.attempts == 0)
        let failure = try #require(error.lastError as? WebSocketHandshakeFailure)
        #expect(failure.kind == .invalidRequest)
        #expect(failure.reason.contains("clientMaxWindowBits is \(bits)"), "\(failure.reason)")
    }
}
