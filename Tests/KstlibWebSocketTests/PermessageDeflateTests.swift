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

@Suite struct PermessageDeflateTests {
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
        #expect(try await roundTrip(url: server.url("/echo"), compression: offer) == offer)
    }
}
