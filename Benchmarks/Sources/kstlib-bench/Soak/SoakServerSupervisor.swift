// SoakServerSupervisor: the soak's server, `kstlib-bench serve` in a child process, killed with
// SIGKILL every `lifetime` and started again on the same port, each incarnation with its feed
// numbered apart (FeedSequenceNumber). It runs on a thread of its own: spawning, waitpid and
// reading the child's port line block, and must not hold one of the concurrency pool's threads.
import Foundation
import Synchronization

final class SoakServerSupervisor: Sendable {
    /// How often a restart that cannot listen yet (the port still held) is retried, and for how long.
    private static let restartRetryPause = DispatchTimeInterval.milliseconds(50)
    private static let restartAttempts = 100

    private let benchExecutable: String
    private let lifetime: Duration
    /// Signalled by `stop()`; the thread waits on it between kills.
    private let stopRequest = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    private let started = DispatchSemaphore(value: 0)
    /// The first incarnation's port, or why it did not start; set before `started` is signalled.
    private let startup = Mutex<Result<Int, ChildProcessError>?>(nil)
    private let failure = Mutex<String?>(nil)

    /// SIGKILLs sent so far.
    let kills = Atomic<Int>(0)
    /// Restarts that had to wait for the port.
    let delayedRestarts = Atomic<Int>(0)

    /// Starts the first incarnation (on a free port) and the thread that kills and restarts it.
    init(benchExecutable: String, lifetime: Duration) throws {
        self.benchExecutable = benchExecutable
        self.lifetime = lifetime
        let thread = Thread { [self] in supervise() }
        thread.name = "soak-server-supervisor"
        thread.start()
        started.wait()
        _ = try startup.withLock { $0! }.get()
    }

    /// The port every incarnation listens on.
    var port: Int {
        startup.withLock { (try? $0?.get()) ?? 0 }
    }

    /// Why the server could not be restarted, once that has happened; the soak then ends.
    var failureReason: String? { failure.withLock { $0 } }

    /// Stops killing, closes the current server's stdin (it closes its connections with 1001 and
    /// exits) and waits for it.
    func stop() {
        stopRequest.signal()
        stopped.wait()
    }

    // MARK: The supervisor thread

    private func supervise() {
        defer { stopped.signal() }
        var incarnation = 0
        var server: ChildProcess
        let port: Int
        do {
            (server, port) = try Self.spawn(benchExecutable, port: 0, incarnation: 0)
            startup.withLock { $0 = .success(port) }
            started.signal()
        } catch {
            startup.withLock { $0 = .failure(ChildProcessError(description: "\(error)")) }
            started.signal()
            return
        }
        while stopRequest.wait(timeout: .now() + lifetime.dispatchInterval) == .timedOut {
            server.terminate()
            server.waitForExit()
            kills.add(1, ordering: .relaxed)
            incarnation += 1
            guard let next = restart(incarnation: incarnation, port: port) else { return }
            server = next
        }
        server.closeInput()
        server.waitForExit()
    }

    /// Starts incarnation `incarnation` on our port, retrying while the port cannot be bound yet.
    private func restart(incarnation: Int, port: Int) -> ChildProcess? {
        var lastError = ""
        for attempt in 1...Self.restartAttempts {
            do {
                let next = try Self.spawn(benchExecutable, port: port, incarnation: incarnation)
                if attempt > 1 { delayedRestarts.add(1, ordering: .relaxed) }
                return next.0
            } catch {
                lastError = "\(error)"
            }
            if stopRequest.wait(timeout: .now() + Self.restartRetryPause) == .success { return nil }
        }
        failure.withLock { $0 = "server incarnation \(incarnation) could not start on port \(port): \(lastError)" }
        return nil
    }

    /// Starts `kstlib-bench serve` and waits for its `{"port":P}` line.
    private static func spawn(_ executable: String, port: Int, incarnation: Int) throws -> (ChildProcess, Int) {
        let process = try ChildProcess([
            executable, "serve", "--port", String(port),
            "--feed-start", String(FeedSequenceNumber.feedStart(incarnation: incarnation)),
        ])
        struct Ready: Decodable { var port: Int }
        guard let line = process.readLine(),
            let ready = try? JSONDecoder().decode(Ready.self, from: Data(line.utf8))
        else {
            process.waitForExit()
            throw ChildProcessError(description: "the server did not start (port \(port) in use?)")
        }
        return (process, ready.port)
    }
}

extension Duration {
    /// The duration for Dispatch's timeouts, to the microsecond.
    fileprivate var dispatchInterval: DispatchTimeInterval {
        .microseconds(Int(seconds * 1e6))
    }
}
