// ServerProcess: the embedded server running as `kstlib-bench serve` in a child process, pinned to
// its core. Ready when it has printed its port; stopped by closing its stdin.
import Foundation

final class ServerProcess {
    private let process: ChildProcess
    let port: Int

    /// Starts the server and waits for the line that carries its port.
    init(benchExecutable: String, placement: CorePlacement, cpu: Int?) throws {
        process = try ChildProcess(placement.pinned([benchExecutable, "serve"], cpu: cpu))
        struct Ready: Decodable { var port: Int }
        guard let line = process.readLine(),
            let ready = try? JSONDecoder().decode(Ready.self, from: Data(line.utf8))
        else {
            throw ChildProcessError(description: "the benchmark server did not start")
        }
        port = ready.port
    }

    /// Closes every connection, stops the server and waits for its process to end.
    func stop() {
        process.closeInput()
        process.waitForExit()
    }

    deinit { stop() }
}
