// A server that breaks RFC 6455: the client tells it apart from a network drop, says what was
// wrong, and fails the connection with the right close code.
import Testing
@testable import KstlibWebSocket

@Suite(.timeLimit(.minutes(3))) struct ProtocolViolationTests {
    /// What the server saw after misbehaving: the client's close code, or "eof" without one.
    struct Outcome {
        let error: (any Error)?
        let messages: [WebSocketMessage]
        let serverSaw: [String]
    }

    /// Upgrades, runs `misbehave`, then records the close frame (or EOF) the client answered with.
    func provoke(
        configuration: WebSocketConfiguration = testConfiguration(),
        _ misbehave: @escaping @Sendable (RawPeer) throws -> Void
    ) async throws -> Outcome {
        let server = try RawWebSocketServer { peer in
            let request = try peer.readRequest()
            try peer.acceptUpgrade(request)
            try misbehave(peer)
            if let close = try peer.readUntilClose(timeout: .seconds(5)) {
                peer.record("close \(close.closeCode.map(String.init) ?? "none")")
                try? peer.sendClose(code: close.closeCode)
            } else {
                peer.record("eof")
            }
        }
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/"), configuration: configuration)
        try await manager.connect()
        let (messages, error) = await drain(manager)
        #expect(server.waitForScripts(count: 1, timeout: .seconds(10)))
        #expect(server.scriptErrors.isEmpty, "\(server.scriptErrors)")
        return Outcome(error: error, messages: messages, serverSaw: server.scriptRecords)
    }

    /// Our words for every framing violation libwebsockets' parser rejects: it does not say which
    /// one (not without its INFO log lines, which Release builds compile out).
    static let framingViolation = "a frame that breaks RFC 6455"

    @Test(arguments: [
        ("reserved bits", RawOpcode.text, UInt8(4), true, [UInt8](Array("x".utf8))),
        ("reserved opcode", UInt8(3), UInt8(0), true, []),
        ("fragmented ping", RawOpcode.ping, UInt8(0), false, [1, 2]),
        ("oversized ping", RawOpcode.ping, UInt8(0), true, [UInt8](repeating: 7, count: 126)),
        ("orphan continuation", RawOpcode.continuation, UInt8(0), true, [1]),
    ])
    func malformedFramesAreProtocolErrorsClosedWith1002(
        name: String, opcode: UInt8, rsv: UInt8, fin: Bool, payload: [UInt8]
    ) async throws {
        let outcome = try await provoke { peer in
            try peer.sendText("before")
            try peer.sendFrame(opcode: opcode, payload: payload, fin: fin, rsv: rsv)
        }
        let error = try #require(
            outcome.error as? WebSocketProtocolError, "\(name): \(String(describing: outcome.error))")
        #expect(error.closeCode == .protocolError)
        #expect(error.message == "the server sent a malformed frame")
        #expect(error.protocolError.hasPrefix(Self.framingViolation), "\(name): \(error.protocolError)")
        #expect(outcome.serverSaw == ["close 1002"], "\(name)")
        // What arrived before the violation is not lost.
        #expect(outcome.messages == [.text("before")])
    }

    @Test(arguments: [true, false])
    func aNetworkDropIsNotMistakenForAViolation(reset: Bool) async throws {
        let server = try RawWebSocketServer { peer in
            let request = try peer.readRequest()
            try peer.acceptUpgrade(request)
            try peer.sendText("last")
            if reset { peer.reset() } else { peer.close() }
        }
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/"), configuration: testConfiguration())
        try await manager.connect()
        let (messages, error) = await drain(manager)
        #expect(messages == [.text("last")])
        #expect((error as? WebSocketClosedError)?.code == .abnormalClosure, "\(String(describing: error))")
    }

    @Test func sixtyFourBitLengthWithTopBitSetIsAProtocolError() async throws {
        let outcome = try await provoke { peer in
            try peer.sendFrameHeader(opcode: RawOpcode.binary, length: 1 << 63, encoding: .bits64)
        }
        let error = try #require(outcome.error as? WebSocketProtocolError)
        #expect(error.protocolError.hasPrefix(Self.framingViolation), "\(error.protocolError)")
        #expect(outcome.serverSaw == ["close 1002"])
    }

    @Test func invalidUTF8IsClosedWith1007() async throws {
        let outcome = try await provoke { peer in
            try peer.sendFrame(opcode: RawOpcode.text, payload: [0x61, 0xC3, 0x28])
        }
        let error = try #require(outcome.error as? WebSocketProtocolError)
        #expect(error.closeCode == .invalidFramePayloadData)
        #expect(error.protocolError.contains("UTF-8"))
        #expect(outcome.serverSaw == ["close 1007"])
    }

    @Test func invalidUTF8AcrossFragmentsFailsFast() async throws {
        let outcome = try await provoke { peer in
            // "€" is E2 82 AC: the first fragment ends inside it, the second breaks it.
            try peer.sendFrame(opcode: RawOpcode.text, payload: [0x41, 0xE2, 0x82], fin: false)
            try peer.sendFrame(opcode: RawOpcode.continuation, payload: [0x28], fin: false)
            // The message never finishes: the client must not wait for the end to judge it.
        }
        let error = try #require(outcome.error as? WebSocketProtocolError)
        #expect(error.closeCode == .invalidFramePayloadData)
        #expect(outcome.serverSaw == ["close 1007"])
    }

    @Test func truncatedCodePointAtTheEndIsInvalid() async throws {
        let outcome = try await provoke { peer in
            try peer.sendFrame(opcode: RawOpcode.text, payload: [0x41, 0xF0, 0x9F, 0x98])
        }
        #expect((outcome.error as? WebSocketProtocolError)?.closeCode == .invalidFramePayloadData)
    }

    @Test func messageOverTheLimitIsClosedWith1009NamingTheLimit() async throws {
        let config = testConfiguration { $0.maxMessageSize = 1000 }
        let outcome = try await provoke(configuration: config) { peer in
            try peer.sendBinary([UInt8](repeating: 1, count: 1000))
            try peer.sendFrame(opcode: RawOpcode.binary, payload: [UInt8](repeating: 2, count: 600), fin: false)
            try peer.sendFrame(opcode: RawOpcode.continuation, payload: [UInt8](repeating: 2, count: 600), fin: true)
        }
        let error = try #require(outcome.error as? WebSocketProtocolError)
        #expect(error.closeCode == .messageTooBig)
        #expect(error.protocolError.contains("1000"), "\(error.protocolError)")
        #expect(outcome.messages.count == 1)
        #expect(outcome.serverSaw == ["close 1009"])
    }

    @Test func fragmentsWithPingsInBetweenArriveWholeAndPingsAreAnswered() async throws {
        let server = try RawWebSocketServer { peer in
            let request = try peer.readRequest()
            try peer.acceptUpgrade(request)
            try peer.sendFrame(opcode: RawOpcode.text, payload: Array("Hel".utf8), fin: false)
            try peer.sendPing([9, 8, 7])
            try peer.sendFrame(opcode: RawOpcode.continuation, payload: Array("lo, ".utf8), fin: false)
            try peer.sendFrame(opcode: RawOpcode.pong, payload: [1]) // unsolicited: ignored
            try peer.sendFrame(opcode: RawOpcode.continuation, payload: Array("wörld".utf8), fin: true)
            let pong = try peer.readFrame()
            peer.record("pong \(pong?.opcode == RawOpcode.pong) \(pong?.payload ?? [])")
            try peer.sendClose(code: 1000, reason: "bye")
            _ = try peer.readUntilClose()
        }
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/"), configuration: testConfiguration())
        try await manager.connect()
        let (messages, error) = await drain(manager)
        #expect(error == nil)
        #expect(messages == [.text("Hello, wörld")])
        #expect(server.waitForScripts(count: 1, timeout: .seconds(10)))
        #expect(server.scriptRecords == ["pong true [9, 8, 7]"])
    }

    /// libwebsockets alone answers only the first of pings that arrive together (it drops a
    /// ping while a pong is pending); every ping must get its own pong, in order (RFC 6455
    /// 5.5.2, Autobahn 2.10), and the data around them must still arrive.
    /// A server that sends `before`, ten pings with `middle` among them, and `after` in one
    /// write, then records the pongs it got before the client's `done` (which the client sends
    /// on `after`: any pong libwebsockets still owes goes out before it) and closes.
    func pingBurstServer() throws -> RawWebSocketServer {
        try RawWebSocketServer { peer in
            let request = try peer.readRequest()
            try peer.acceptUpgrade(request)
            var burst = RawPeer.frameBytes(opcode: RawOpcode.text, payload: Array("before".utf8))
            for index in 0..<10 {
                burst += RawPeer.frameBytes(opcode: RawOpcode.ping, payload: Array("ping-\(index)".utf8))
                if index == 4 { burst += RawPeer.frameBytes(opcode: RawOpcode.text, payload: Array("middle".utf8)) }
            }
            burst += RawPeer.frameBytes(opcode: RawOpcode.text, payload: Array("after".utf8))
            try peer.sendRaw(burst)
            var pongs: [String] = []
            while let frame = try peer.readFrame(), frame.opcode == RawOpcode.pong {
                pongs.append(String(decoding: frame.payload, as: UTF8.self))
            }
            peer.record(pongs.joined(separator: ","))
            try peer.sendClose(code: 1000, reason: "bye")
            _ = try peer.readUntilClose()
        }
    }

    /// Connects to a ``pingBurstServer()``, answers `after` with `done`, and returns the
    /// messages, the stream's error and the pongs the server counted.
    func runPingBurst(guardsPongs: Bool) async throws -> ([WebSocketMessage], (any Error)?, [String]) {
        let server = try pingBurstServer()
        defer { server.stop() }
        var configuration = testConfiguration()
        configuration.guardsPongs = guardsPongs
        let manager = WebSocketManager(url: server.url("/"), configuration: configuration)
        try await manager.connect()
        var messages: [WebSocketMessage] = []
        var failure: (any Error)?
        do {
            for try await message in manager.stream() {
                messages.append(message)
                if message == .text("after") { try await manager.send("done") }
            }
        } catch {
            failure = error
        }
        #expect(server.waitForScripts(count: 1, timeout: .seconds(10)))
        #expect(server.scriptErrors.isEmpty, "\(server.scriptErrors)")
        let pongs = server.scriptRecords.first?.split(separator: ",").map(String.init) ?? []
        return (messages, failure, pongs)
    }

    /// Where the library reports poll changes (libwebsockets up to 4.3), every ping gets its pong;
    /// elsewhere the runtime says `oneAtATime` and the burst is answered as libwebsockets does.
    @Test func aBurstOfPingsInOneWriteGetsOnePongEach() async throws {
        let (messages, error, pongs) = try await runPingBurst(guardsPongs: true)
        #expect(error == nil)
        #expect(messages == [.text("before"), .text("middle"), .text("after")])
        switch LibWebSocketsRuntime.current.pingReplies {
        case .everyPing: #expect(pongs == (0..<10).map { "ping-\($0)" })
        case .oneAtATime: #expect(!pongs.isEmpty && pongs.count < 10, "\(pongs)")
        default: Issue.record("the pong guard's verdict is still unknown after a connection")
        }
    }

    /// The other mode, which ``LibWebSocketsRuntime/PingReplies/oneAtATime`` describes: without
    /// the pong guard, libwebsockets drops the pings parsed while a pong is pending, so the burst
    /// gets fewer pongs (those it gets are in order, and no message is lost).
    @Test func withoutThePongGuardPingsAreAnsweredOneAtATime() async throws {
        let (messages, error, pongs) = try await runPingBurst(guardsPongs: false)
        #expect(error == nil)
        #expect(messages == [.text("before"), .text("middle"), .text("after")])
        #expect(!pongs.isEmpty && pongs.count < 10, "\(pongs)")
        #expect(pongs == pongs.sorted { Int($0.dropFirst(5))! < Int($1.dropFirst(5))! })
    }

    @Test func everyClientFrameIsMasked() async throws {
        let server = try RawWebSocketServer { peer in
            let request = try peer.readRequest()
            try peer.acceptUpgrade(request)
            var masked: [Bool] = []
            for _ in 0..<3 {
                guard let frame = try peer.readFrame() else { break }
                masked.append(frame.masked)
            }
            peer.record("masked \(masked)")
            try peer.sendClose(code: 1000)
            _ = try peer.readUntilClose()
        }
        defer { server.stop() }
        let manager = WebSocketManager(url: server.url("/"), configuration: testConfiguration())
        try await manager.connect()
        try await manager.send("text")
        try await manager.send([1, 2, 3])
        try await manager.send("")
        _ = await drain(manager)
        #expect(server.waitForScripts(count: 1, timeout: .seconds(10)))
        #expect(server.scriptRecords == ["masked [true, true, true]"])
    }
}
