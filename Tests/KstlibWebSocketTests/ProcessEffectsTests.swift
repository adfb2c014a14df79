// The process-wide changes the event loop makes, and turning them off. Each side runs in a fresh
// process (this test binary, filtered to the child test), since the shared loop starts once.
import CLWSShim
import Foundation
import Glibc
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite(.timeLimit(.minutes(3))) struct ProcessEffectsTests {
    static let childVariable = "KSTLIB_PROCESS_EFFECTS_CHILD"
    static let childTest = "theLoopChangesWhatItIsAllowedTo"

    @Test(arguments: ["default", "off"])
    func aFreshProcessSeesOnlyTheEffectsItAllows(mode: String) async throws {
        let child = try ChildProcess(
            URL(fileURLWithPath: CommandLine.arguments[0]),
            arguments: ["--testing-library", "swift-testing", "--filter", Self.childTest],
            environment: [Self.childVariable: mode])
        let status = try await child.exit(within: .seconds(120))
        let output = (child.stdout.events + child.stderr.events).joined(separator: "\n")
        #expect(status == 0, "the child process (\(mode)) ended with \(status):\n\(output)")
        #expect(output.contains("\(Self.childTest)() passed"), "the child test did not run:\n\(output)")
    }

    /// Lowers its own soft descriptor limit, sets the effects its mode asks for, connects once,
    /// then checks the limit and the log hook. The embedded server (which raises the limit for
    /// itself) starts first.
    @Test(.enabled(if: ProcessInfo.processInfo.environment[childVariable] != nil))
    func theLoopChangesWhatItIsAllowedTo() async throws {
        let allowed = ProcessInfo.processInfo.environment[Self.childVariable] != "off"
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        var limit = rlimit()
        try #require(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0)
        try #require(limit.rlim_max > 256, "a hard descriptor limit above 256 (got \(limit.rlim_max))")
        limit.rlim_cur = 256
        try #require(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0)

        var effects = LibWebSocketsRuntime.ProcessEffects()
        effects.raisesDescriptorLimit = allowed
        effects.routesLibWebSocketsLog = allowed
        LibWebSocketsRuntime.processEffects = effects

        let manager = WebSocketManager(url: server.url("/echo"), configuration: testConfiguration())
        try await within { try await manager.connect() }
        await manager.close()

        try #require(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0)
        #expect((limit.rlim_cur > 256) == allowed, "soft limit \(limit.rlim_cur) with effects \(effects)")
        #expect((lwss_log_hook_installed() != 0) == allowed)
    }
}
