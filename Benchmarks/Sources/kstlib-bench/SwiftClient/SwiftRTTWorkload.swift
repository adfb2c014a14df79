// SwiftRTTWorkload: `rtt` through the public API: `/echo`, one message at a time, `send` then
// `receive()`; each round trip runs from the call to `send` to the return of `receive`.
import Foundation
import KstlibWebSocket

enum SwiftRTTWorkload {
    static func run(_ settings: SwiftClientSettings, count: Int, size: Int) async -> ClientReport {
        var report = ClientReport(client: "swift", workload: WorkloadName.rtt.rawValue, ok: false)
        let manager = WebSocketManager(url: settings.url("/echo"), configuration: settings.configuration)
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: size)
        var samples: [Double] = []
        samples.reserveCapacity(count)
        let clock = ContinuousClock()
        do {
            try await manager.connect()
            for _ in 0..<count {
                let sentAt = clock.now
                try await manager.send(payload)
                _ = try await manager.receive()
                samples.append((clock.now - sentAt).seconds * 1e6)
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
