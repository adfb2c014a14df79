// The libwebsockets the process runs on: version checks and the pong guard's capability check.
import KstlibWebSocketServer
import Testing
@testable import KstlibWebSocket

@Suite(.timeLimit(.minutes(3))) struct LibWebSocketsRuntimeTests {
    @Test func theLoadedLibraryIsTheOneWeWereCompiledFor() {
        let runtime = LibWebSocketsRuntime.current
        #expect(runtime.incompatibility == nil, "\(runtime)")
        #expect(runtime.reportsProtocolViolations)
        #expect(runtime.version.first?.isNumber == true)
    }

    @Test(arguments: [
        ("4.1.6", "4.1.6", false), ("4.3.5", "4.3.3", false), ("4.5.8-unknown", "4.5.8", false),
        ("4.5.8-unknown", "4.1.6", true), ("5.0.0", "4.5.8", true), ("4.3.5", "4.30.1", true),
    ])
    func anotherMajorMinorIsRefused(loaded: String, compiled: String, refused: Bool) {
        let problem = LibWebSocketsRuntime.incompatibility(loaded: loaded, compiled: compiled)
        #expect((problem != nil) == refused)
        if let problem {
            #expect(
                problem
                    == "libwebsockets \(loaded) is loaded, but kstlib was compiled against the headers of "
                    + "\(compiled): rebuild against the installed libwebsockets")
        }
    }

    @Test func aLibraryOlderThan41IsRefused() {
        #expect(
            LibWebSocketsRuntime.incompatibility(loaded: "4.0.21", compiled: "4.0.21")
                == "libwebsockets 4.0.21 is older than 4.1, the oldest version kstlib supports: install 4.1 or later")
        #expect(LibWebSocketsRuntime.incompatibility(loaded: "5.0.0", compiled: "5.0.0") == nil)
    }

    @Test func thePongGuardVerdictIsOneOfTwoOnceALoopHasRun() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        try await withWebSocket(url: server.url("/echo"), configuration: testConfiguration()) { ws in
            try await ws.send("x")
            _ = try await ws.receive(timeout: .seconds(5))
        }
        #expect(PongGuardCapability.verdict != nil)
        #expect([.everyPing, .oneAtATime].contains(LibWebSocketsRuntime.current.pingReplies))
    }

    @Test func verdictsReadAsTheirNames() {
        #expect(PongGuardCapability.verdict(of: PongGuardCapability.confirmed) == true)
        #expect(PongGuardCapability.verdict(of: PongGuardCapability.absent) == false)
        #expect(PongGuardCapability.verdict(of: PongGuardCapability.unknown) == nil)
        #expect("\(LibWebSocketsRuntime.PingReplies.oneAtATime)" == "oneAtATime")
    }
}
