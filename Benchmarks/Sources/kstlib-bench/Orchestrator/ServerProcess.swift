// ServerProcess: the server of one case in a child process, pinned to its core: the embedded
// Swift server (`kstlib-bench serve`) or the C push server (`c-push-server`). Ready when it has
// printed its port; stopped by closing its stdin.
import Foundation

/// Which server a case runs against.
enum ServerKind: String, Sendable {
    /// `c-push-server`: push only, and it reports its own rate.
    case c
    /// The embedded Swift server: every workload; it reports nothing.
    case swift
}

/// What the C push server says about one push connection.
struct PushServerReport: Decodable, Sendable {
    var count: Int
    var sent: Int
    /// From its first write to its last.
    var seconds: Double
    /// Its process's CPU time over that span: the time it was busy, not waiting for the client.
    var cpuSeconds: Double

    enum CodingKeys: String, CodingKey {
        case count, sent, seconds
        case cpuSeconds = "cpu_seconds"
    }
}

final class ServerProcess {
    private let process: ChildProcess
    let kind: ServerKind
    let port: Int

    /// Starts the server and waits for the line that carries its port.
    init(_ kind: ServerKind, executables: Executables, placement: CorePlacement, cpu: Int?) throws {
        self.kind = kind
        let command = kind == .c ? [executables.pushServer] : [executables.bench, "serve"]
        process = try ChildProcess(placement.pinned(command, cpu: cpu))
        struct Ready: Decodable { var port: Int }
        guard let line = process.readLine(),
            let ready = try? JSONDecoder().decode(Ready.self, from: Data(line.utf8))
        else {
            throw ChildProcessError(description: "the benchmark server did not start")
        }
        port = ready.port
    }

    /// The C server's reports of the next `connections` push connections (a client's warm-up
    /// and timed run), in order; fewer if it stays silent for 10 s (a client that never connected).
    func pushReports(connections: Int) -> [PushServerReport] {
        guard kind == .c else { return [] }
        var reports: [PushServerReport] = []
        while reports.count < connections, let line = process.readLine(timeout: .seconds(10)) {
            if let report = try? JSONDecoder().decode(PushServerReport.self, from: Data(line.utf8)) {
                reports.append(report)
            }
        }
        return reports
    }

    /// Closes every connection, stops the server and waits for its process to end.
    func stop() {
        process.closeInput()
        process.waitForExit()
    }

    deinit { stop() }
}
