// SwiftRTTWorkload: `rtt` through the public API: `/echo`, one message at a time, `send` then
// `receive()`; each round trip runs from the call to `send` to the return of `receive`. The loop
// runs on the manager's `eventLoopExecutor`, as the library recommends for request/response
// code (no thread wake-up per round trip); `KSTLIB_BENCH_POOL=1` runs it on the default
// cooperative pool instead, for comparison.
import Foundation
import KstlibWebSocket

enum SwiftRTTWorkload {
    static func run(_ settings: SwiftClientSettings, count: Int, size: Int) async -> ClientReport {
        var report = ClientReport(client: "swift", workload: WorkloadName.rtt.rawValue, ok: false)
        let manager = WebSocketManager(url: settings.url("/echo"), configuration: settings.configuration)
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: size)
        var samples: [Double] = []
        let clock = ContinuousClock()
        do {
            try await manager.connect()
            samples = try await withTaskExecutorPreference(settings.executor(for: manager)) {
                var samples: [Double] = []
                samples.reserveCapacity(count)
                for _ in 0..<count {
                    let sentAt = clock.now
                    try await manager.send(payload)
                    _ = try await manager.receive()
                    samples.append((clock.now - sentAt).seconds * 1e6)
                }
                return samples
            }
            report.ok = true
        } catch {
            FileHandle.standardError.write(Data("kstlib-bench client: rtt failed: \(error)\n".utf8))
        }
        await manager.close()
        report.samplesMicroseconds = samples
        return report
    }
}
