// SwiftConnsWorkload: `conns` through the public API: K WebSocketManagers connect to `/echo`, at
// most WINDOW connects in progress at a time (all at once for 0), as the C baseline does; then
// each sends one message and receives its echo; RSS is read with all K open and idle.
import Foundation
import KstlibWebSocket

enum SwiftConnsWorkload {
    static func run(_ settings: SwiftClientSettings, conns: Int, connectWindow: Int, size: Int) async -> ClientReport {
        var report = ClientReport(client: "swift", workload: WorkloadName.conns.rawValue, ok: false)
        report.conns = conns
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: size)
        let url = settings.url("/echo")
        let configuration = settings.configuration

        // One connection first: the event loop, its context and the allocator are warm before
        // the baseline RSS is read, as in the C client.
        let warmUp = WebSocketManager(url: url, configuration: configuration)
        guard await echoOnce(warmUp, payload: payload, connect: true) else {
            FileHandle.standardError.write(Data("kstlib-bench client: conns warm-up failed\n".utf8))
            return report
        }
        await warmUp.close()
        report.rssBaseKB = ProcessStatus.current().rssKB
        report.heapBaseKB = ProcessStatus.heapInUseKB()

        let clock = ContinuousClock()
        let started = clock.now
        let managers = (0..<conns).map { _ in WebSocketManager(url: url, configuration: configuration) }
        let opened = await countSuccesses(managers, window: connectWindow) { manager in
            do {
                try await manager.connect()
                return true
            } catch {
                return false
            }
        }
        let allOpen = clock.now
        let echoed = await countSuccesses(managers) { manager in
            manager.isConnected ? await echoOnce(manager, payload: payload, connect: false) : false
        }
        let allEchoed = clock.now

        let status = ProcessStatus.current()
        report.rssOpenKB = status.rssKB
        report.rssPeakKB = status.peakKB
        report.heapOpenKB = ProcessStatus.heapInUseKB()
        report.threads = status.threads
        report.loopThreads = ProcessStatus.threadsInPoll()
        report.opened = opened
        report.echoed = echoed
        report.failed = conns - echoed
        report.openSeconds = (allOpen - started).seconds
        report.echoSeconds = (allEchoed - allOpen).seconds
        report.ok = echoed == conns

        _ = await countSuccesses(managers) { manager in
            await manager.close()
            return true
        }
        return report
    }

    /// Sends one message and waits for its echo.
    private static func echoOnce(_ manager: WebSocketManager, payload: [UInt8], connect: Bool) async -> Bool {
        do {
            if connect { try await manager.connect() }
            try await manager.send(payload)
            _ = try await manager.receive()
            return true
        } catch {
            return false
        }
    }

    /// Runs `body` on every manager, at most `window` at a time (all at once for 0), and counts
    /// the `true`s.
    private static func countSuccesses(
        _ managers: [WebSocketManager], window: Int = 0, _ body: @escaping @Sendable (WebSocketManager) async -> Bool
    ) async -> Int {
        await withTaskGroup(of: Bool.self) { group in
            var pending = managers.makeIterator()
            for _ in 0..<(window > 0 ? window : managers.count) {
                guard let manager = pending.next() else { break }
                group.addTask { await body(manager) }
            }
            var successes = 0
            for await success in group {
                if success { successes += 1 }
                if let manager = pending.next() { group.addTask { await body(manager) } }
            }
            return successes
        }
    }
}
