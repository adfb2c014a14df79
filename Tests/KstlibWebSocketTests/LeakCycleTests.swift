// The connect/close cycles `make leaks` runs under LeakSanitizer; skipped by the normal test run.
import Foundation
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

/// Many full connection lives in a row, so that anything our code leaks per connection (a
/// manager kept alive by a retain cycle, an `LWSConnection` the loop never lets go of, a C string
/// or buffer never freed) shows up a thousand times in LeakSanitizer's report at process exit.
///
/// Enabled only when `KSTLIB_LEAK_CYCLES` is set to the number of cycles: a thousand cycles are
/// too slow for every `make test`, and the check means little without a leak detector watching
/// (`make leaks` runs it in an AddressSanitizer build, whose leak check fails the process).
@Suite(.enabled(if: leakCycles != nil, "set KSTLIB_LEAK_CYCLES (see `make leaks`)"), .timeLimit(.minutes(10)))
struct LeakCycleTests {

    /// Each cycle: a new manager on the process's shared loop (as applications use it), connect
    /// (permessage-deflate negotiated, the default), one echoed message, a clean close, and the
    /// manager dropped. Every manager must be freed and both ends must let go of every
    /// connection, which also proves the cycles ran to completion before the leak report.
    @Test func connectCloseCycles() async throws {
        let cycles = try #require(leakCycles)
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let url = server.url("/echo")
        var released: [WeakReference<WebSocketManager>] = []
        released.reserveCapacity(cycles)
        for cycle in 1...cycles {
            let reference = WeakReference<WebSocketManager>()
            try await within(.seconds(60)) {
                let manager = WebSocketManager(url: url, configuration: testConfiguration())
                reference.value = manager
                try await manager.connect()
                try await manager.send("cycle \(cycle)")
                let echo = try await manager.receive(timeout: .seconds(30))
                #expect(echo == .text("cycle \(cycle)"))
                await manager.close()
                #expect(manager.state == .closed)
                #expect(manager.lastClose?.code == .normalClosure)
            }
            released.append(reference)
        }
        let references = released
        let allFreed = await waitUntil(timeout: .seconds(60)) { references.allSatisfy { $0.value == nil } }
        #expect(allFreed, "\(references.filter { $0.value != nil }.count) of \(cycles) managers still alive")
        #expect(await waitUntil(timeout: .seconds(60)) { EventLoop.shared.connectionCount == 0 })
        #expect(await waitUntil(timeout: .seconds(60)) { server.connectionCount == 0 })
        #expect(await waitUntil { server.totalConnections == cycles })
    }
}

/// The number of cycles `make leaks` asks for; nil (the suite skipped) when unset or not positive.
private let leakCycles = ProcessInfo.processInfo.environment["KSTLIB_LEAK_CYCLES"].flatMap { Int($0) }.flatMap {
    $0 > 0 ? $0 : nil
}
