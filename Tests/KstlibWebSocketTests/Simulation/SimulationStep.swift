// One thing that happens in a simulated schedule: the server, the network, time or the application acts.
@testable import KstlibWebSocket

/// A step of a ``SimulationSchedule``. Every step applies in any state (a step that makes no
/// sense then does nothing), so removing steps from a failing schedule still gives a schedule:
/// that is what lets the shrinker look for the shortest one.
enum SimulationStep: Sendable, CustomStringConvertible {
    /// The feed publishes `count` new numbers (nothing is sent yet).
    case publish(Int)
    /// The server sends one open connection (`pick` among them) what it has not sent it yet:
    /// connections receive the feed at different moments, like links with different delays.
    case pump(pick: Int)
    /// The server closes a connection with `code`.
    case serverClose(pick: Int, code: UInt16)
    /// A connection ends without a close frame, or with a ping timeout or a protocol violation.
    case fail(pick: Int, TransportEnd)
    /// The next connection attempt meets this.
    case script(InMemoryTransport.Outcome)
    /// Time moves on.
    case advance(Duration)
    /// Time moves to the next pending sleep.
    case advanceToNextSleep
    case connect
    case send(String)
    case close(code: UInt16)
    case kill
    case forceClose
    case requestDisconnect(reconnectAfter: Duration?)
    case subscribe(String)
    case waitConnected(timeout: Duration)
    /// The network stops taking a connection's outgoing frames (`true`), or takes them again.
    case stallWrites(pick: Int, Bool)
    /// The consumer reads `count` messages, one `receive()` each, after its earlier reads (a slow
    /// consumer reads rarely).
    case read(Int)

    var description: String {
        switch self {
        case .publish(let count): return "publish \(count)"
        case .pump(let pick): return "pump connection #\(pick)"
        case .serverClose(let pick, let code): return "server closes #\(pick) with \(code)"
        case .fail(let pick, let end): return "connection #\(pick) ends: \(end)"
        case .script(let outcome): return "next attempt: \(outcome)"
        case .advance(let duration): return "advance \(duration)"
        case .advanceToNextSleep: return "advance to the next sleep"
        case .connect: return "connect()"
        case .send(let text): return "send(\"\(text)\")"
        case .close(let code): return "close(code: \(code))"
        case .kill: return "kill()"
        case .forceClose: return "forceClose()"
        case .requestDisconnect(let after):
            return "requestDisconnect(reconnectAfter: \(after.map { "\($0)" } ?? "nil"))"
        case .subscribe(let channel): return "subscribe(\"\(channel)\")"
        case .waitConnected(let timeout): return "waitConnected(timeout: \(timeout))"
        case .stallWrites(let pick, let stalled):
            return stalled ? "stall writes on #\(pick)" : "unstall writes on #\(pick)"
        case .read(let count): return "read \(count)"
        }
    }

    /// Every close code a server may send, and a few it may not.
    static let closeCodes: [UInt16] = [
        1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 1015, 3000, 3999, 4000,
        4999,
    ]

    static func random(using random: inout SeededRandom) -> SimulationStep {
        let pick = Int.random(in: 0..<4, using: &random)
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<14: return .publish(Int.random(in: 1...6, using: &random))
        case 14..<34: return .pump(pick: pick)
        case 34..<38: return .serverClose(pick: pick, code: closeCodes.randomElement(using: &random)!)
        case 38..<43:
            let ends: [TransportEnd] = [
                .dropped, .dropped, .pingTimeout,
                .protocolViolation(
                    WebSocketProtocolError("simulated", protocolError: "simulated", closeCode: .protocolError)),
            ]
            return .fail(pick: pick, ends.randomElement(using: &random)!)
        case 43..<47:
            let outcomes: [InMemoryTransport.Outcome] = [
                .refuse(WebSocketHandshakeFailure(kind: .connectFailed, reason: "simulated")),
                .refuse(WebSocketHandshakeFailure(kind: .httpStatus, reason: "simulated 503", httpStatus: 503)),
                .silence, .accept,
            ]
            return .script(outcomes.randomElement(using: &random)!)
        case 47..<55:
            let durations: [Duration] = [
                .zero, .milliseconds(1), .milliseconds(250), .seconds(1), .seconds(5), .seconds(30),
            ]
            return .advance(durations.randomElement(using: &random)!)
        case 55..<62: return .advanceToNextSleep
        case 62..<67: return .connect
        case 67..<72: return .send("m\(Int.random(in: 0..<100, using: &random))")
        case 72..<74: return .close(code: [1000, 1001, 4000].randomElement(using: &random)!)
        case 74..<76: return .kill
        case 76..<77: return .forceClose
        case 77..<84:
            let after: [Duration?] = [nil, .zero, .zero, .zero, .seconds(1)]
            return .requestDisconnect(reconnectAfter: after.randomElement(using: &random)!)
        case 84..<87: return .subscribe("ch\(Int.random(in: 0..<5, using: &random))")
        case 87..<90: return .waitConnected(timeout: .seconds(Int64.random(in: 1...10, using: &random)))
        case 90..<93: return .stallWrites(pick: pick, random.chance(50))
        default: return .read(Int.random(in: 1...8, using: &random))
        }
    }
}

extension InMemoryTransport.Outcome: CustomStringConvertible {
    var description: String {
        switch self {
        case .accept: return "accept"
        case .refuse(let failure): return "refuse (\(failure.kind))"
        case .silence: return "silence"
        }
    }
}
