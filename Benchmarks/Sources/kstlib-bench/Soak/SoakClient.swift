// SoakClient: the client under test, one WebSocketManager on /feed with automatic reconnection
// and a short backoff, consumed through `stream()` for the whole soak, every message checked
// into a FeedLedger.
import Foundation
import KstlibWebSocket
import Synchronization

final class SoakClient: Sendable {
    let manager: WebSocketManager
    /// Shared with the reporter, which reads it once a second.
    let ledger = Mutex(FeedLedger())
    /// Times `stream()` threw: reconnection gave up (or the connection failed in a way the
    /// manager does not retry). The soak then connects again and carries on, and fails.
    let streamFailures = Atomic<Int>(0)
    private let lastFailure = Mutex<String?>(nil)

    /// `port` is the soak server's; `rate` the feed's messages per second.
    init(port: Int, rate: Int) {
        var configuration = WebSocketConfiguration()
        // A short backoff: the server is back within a few hundred milliseconds of a kill, and
        // each attempt before that is refused at once. 50 ms, 100 ms, ... capped at 500 ms; 100
        // failures in a row (about 50 s without a server) end the stream.
        configuration.reconnectStrategy = .exponentialBackoff
        configuration.reconnectDelay = .milliseconds(50)
        configuration.maxReconnectDelay = .milliseconds(500)
        configuration.maxReconnectAttempts = 100
        configuration.connectionTimeout = .seconds(10)
        manager = WebSocketManager(url: "ws://127.0.0.1:\(port)/feed?rate=\(rate)", configuration: configuration)
    }

    /// The last error `stream()` or a connect threw, for the report.
    var lastFailureDescription: String? { lastFailure.withLock { $0 } }

    /// Connects and consumes until the manager is closed (`close()`), connecting again whenever
    /// the stream fails.
    func consume() async {
        while !Task.isCancelled {
            do {
                try await manager.connect()
                for try await message in manager.stream() {
                    let arrival = ContinuousClock.now
                    if let number = FeedSequenceNumber(message: message) {
                        ledger.withLock { $0.record(number, at: arrival) }
                    } else {
                        ledger.withLock { $0.recordForeign(at: arrival) }
                    }
                }
                return // finished normally: the manager was closed
            } catch {
                if manager.state == .closed { return }
                streamFailures.add(1, ordering: .relaxed)
                lastFailure.withLock { $0 = "\(error)" }
                FileHandle.standardError.write(Data("kstlib-bench soak: the stream failed: \(error)\n".utf8))
                // connect() waits between its own attempts, but not before its first.
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Ends the stream: `consume()` returns.
    func close() async {
        await manager.close()
    }
}
