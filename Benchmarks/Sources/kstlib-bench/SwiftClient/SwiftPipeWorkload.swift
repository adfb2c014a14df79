// SwiftPipeWorkload: `pipe` through the public API: `/echo` with WINDOW messages in flight; each
// echo read from `stream()` lets one more `send` go, until COUNT have come back.
import Foundation
import KstlibWebSocket

enum SwiftPipeWorkload {
    /// Times from just before `connect()` to the arrival of the last echo.
    static func run(_ settings: SwiftClientSettings, count: Int, size: Int, window: Int) async -> ClientReport {
        var report = ClientReport(client: "swift", workload: WorkloadName.pipe.rawValue, ok: false)
        let manager = WebSocketManager(url: settings.url("/echo"), configuration: settings.configuration)
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: size)
        var received = 0
        var bytes = 0
        let clock = ContinuousClock()
        let started = clock.now
        var finished = started
        await withTaskExecutorPreference(settings.executor(for: manager)) {
            do {
                try await manager.connect()
                var sent = min(window, count)
                for _ in 0..<sent { try await manager.send(payload) }
                var messages = manager.stream().makeAsyncIterator()
                while received < count, let message = try await messages.next() {
                    received += 1
                    bytes += message.payloadCount
                    if sent < count {
                        try await manager.send(payload)
                        sent += 1
                    }
                }
                finished = clock.now
                report.ok = received == count
            } catch {
                FileHandle.standardError.write(Data("kstlib-bench client: pipe failed: \(error)\n".utf8))
            }
        }
        await manager.close()
        report.messages = received
        report.bytes = bytes
        report.seconds = report.ok ? (finished - started).seconds : 0
        return report
    }
}
