// ClientRunner: runs one client process (the Swift one or the C baseline) for one repetition and
// reads its ClientReport. A watchdog kills a run that outlives its time limit.
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The clients being compared: ours with its consumer on the default executor (where users are)
/// or on the manager's event-loop executor, and the C baseline.
enum ClientKind: String, Sendable, CaseIterable {
    case swift
    case swiftEventLoop = "swift-event-loop"
    case c

    /// The Swift clients, each compared with C.
    static let swiftKinds: [ClientKind] = [.swift, .swiftEventLoop]

    /// For tables: "Swift default", "Swift event loop", "C".
    var title: String {
        switch self {
        case .swift: "Swift default"
        case .swiftEventLoop: "Swift event loop"
        case .c: "C"
        }
    }
}

struct ClientRunner: Sendable {
    /// `kstlib-bench` itself, whose `client` subcommand is the Swift client.
    let benchExecutable: String
    /// `c-baseline-client`, built beside it.
    let baselineExecutable: String
    let placement: CorePlacement
    /// The longest one run may take before it is killed.
    let timeLimit: Duration

    /// Runs `kind` with `invocation` on the clients' CPU. Returns its report, or nil when the
    /// process printed none (it crashed, was killed, or could not start).
    func run(_ kind: ClientKind, _ invocation: ClientInvocation) -> ClientReport? {
        let command: [String] =
            switch kind {
            case .swift: [benchExecutable, "client", "--executor", "default"] + invocation.arguments
            case .swiftEventLoop: [benchExecutable, "client", "--executor", "event-loop"] + invocation.arguments
            case .c: [baselineExecutable] + invocation.arguments
            }
        guard let process = try? ChildProcess(placement.pinned(command, cpu: placement.clientCPU)) else { return nil }

        // The pid stays valid (alive or a zombie) until waitForExit reaps it, and `finished` is
        // set before that: the watchdog can never signal a recycled pid.
        let finished = Mutex(false)
        let pid = process.pid
        DispatchQueue.global().asyncAfter(deadline: .now() + timeLimit.seconds) {
            finished.withLock { done in
                if !done {
                    FileHandle.standardError.write(Data("kstlib-bench: \(kind) client timed out; killed\n".utf8))
                    kill(pid, SIGKILL)
                }
            }
        }
        var report: ClientReport?
        while let line = process.readLine() {
            if let decoded = try? JSONDecoder().decode(ClientReport.self, from: Data(line.utf8)) { report = decoded }
        }
        finished.withLock { $0 = true }
        let status = process.waitForExit()
        if status != 0, report == nil {
            FileHandle.standardError.write(Data("kstlib-bench: \(kind) client exited with status \(status)\n".utf8))
        }
        return report
    }
}
