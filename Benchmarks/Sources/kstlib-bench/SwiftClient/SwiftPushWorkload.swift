// SwiftPushWorkload: `push` through the public API: the server streams COUNT messages of SIZE
// bytes and the client consumes them through `stream()`.
import Foundation
import KstlibWebSocket

enum SwiftPushWorkload {
    /// Times from just before `connect()` to the arrival of the last message; the stream then
    /// ends with the server's 1000 close.
    static func run(_ settings: SwiftClientSettings, count: Int, size: Int) async -> ClientReport {
        var report = ClientReport(client: "swift", workload: WorkloadName.push.rawValue, ok: false)
        let manager = WebSocketManager(
            url: settings.url("/push?count=\(count)&size=\(size)&binary=1"), configuration: settings.configuration)
        var messages = 0
        var bytes = 0
        let clock = ContinuousClock()
        let started = clock.now
        var finished = started
        await withTaskExecutorPreference(settings.executor(for: manager)) {
            do {
                try await manager.connect()
                for try await message in manager.stream() {
                    messages += 1
                    bytes += message.payloadCount
                    if messages == count { finished = clock.now }
                }
                report.ok = messages == count
            } catch {
                FileHandle.standardError.write(Data("kstlib-bench client: push failed: \(error)\n".utf8))
            }
        }
        await manager.close()
        report.messages = messages
        report.bytes = bytes
        report.seconds = messages == count ? (finished - started).seconds : 0
        return report
    }
}
