// One run of kstlib-ws: connect, pump standard input out and messages in, close.
import Dispatch
import Foundation
import KstlibWebSocket
import Synchronization

/// The manager and what the terminal does with it.
struct Session {
    let manager: WebSocketManager
    let printer: MessagePrinter

    init(url: String, configuration: WebSocketConfiguration, printer: MessagePrinter) {
        var config = configuration
        let connects = ConnectCounter()
        config.onConnect = { MessagePrinter.event(connects.next() == 1 ? "connected to \(url)" : "reconnected") }
        config.onDisconnect = { reason in
            if reason.isReactive && configuration.autoReconnect {
                MessagePrinter.event("disconnected (\(reason)), reconnecting")
            }
        }
        self.manager = WebSocketManager(url: url, configuration: config)
        self.printer = printer
    }

    /// Runs until the server closes, input ends, `count` messages were printed or a signal
    /// arrives; `false` when it ended on an error (already reported).
    func run(subscriptions: [String], readInput: Bool, count: Int?) async -> Bool {
        let signals = Self.closeOnSignals(manager)
        // The handlers hold the manager: let go of them now, not whenever Dispatch gets to it.
        defer {
            signals.forEach {
                $0.setEventHandler(handler: nil)
                $0.cancel()
            }
        }
        do {
            try await manager.connect()
            if !subscriptions.isEmpty { try await manager.subscribe(subscriptions) }
        } catch {
            MessagePrinter.event("error: \(error)")
            return false
        }
        let input = readInput ? Task { [manager] in await Self.send(StandardInputLines.stream(), to: manager) } : nil
        let streamed = await show(count: count)
        // Ended, not just cancelled: nothing of the session outlives `run` (a cancelled read of
        // standard input returns at once).
        input?.cancel()
        await input?.value
        guard streamed else {
            await manager.close()
            return false
        }
        await manager.close()
        MessagePrinter.event("closed (\(manager.lastClose?.description ?? "no close frame"))")
        return true
    }

    /// Prints the messages until the stream ends or `count` were printed; `false` on an error
    /// (reported).
    private func show(count: Int?) async -> Bool {
        var printed = 0
        do {
            for try await message in manager.stream() {
                printer.show(message)
                printed += 1
                if let count, printed >= count { break }
            }
            return true
        } catch {
            MessagePrinter.event("error: \(error)")
            return false
        }
    }

    /// Sends every line, then closes with 1000 at the end of input.
    private static func send(_ lines: AsyncStream<String>, to manager: WebSocketManager) async {
        for await line in lines {
            do { try await manager.send(line) } catch { MessagePrinter.event("not sent: \(error)") }
        }
        if !Task.isCancelled { await manager.close() }
    }

    /// Ctrl-C and SIGTERM close with 1001 (going away) instead of killing the process.
    private static func closeOnSignals(_ manager: WebSocketManager) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { Task { await manager.close(code: .goingAway, reason: "interrupted") } }
            source.resume()
            return source
        }
    }
}

/// Tells the first connect from the reconnects.
final class ConnectCounter: Sendable {
    private let count = Atomic<Int>(0)
    func next() -> Int { count.add(1, ordering: .relaxed).newValue }
}
