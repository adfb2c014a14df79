// A TLS server refusing every upgrade with a fixed answer (Support/rejecting_tls_server.py).
import Foundation

/// Python's `ssl` server in a child process: a TLS stack other than libwebsockets', requiring a
/// client certificate issued by the test CA. Reports each request it answered.
final class RejectingTLSServer {
    let port: Int
    private let process: ChildProcess

    private init(port: Int, process: ChildProcess) {
        self.port = port
        self.process = process
    }

    /// Starts the server and waits (bounded) until it listens.
    static func start(
        _ certificates: TestCertificates, status: String = "403 Forbidden", headers: [String] = [], body: String = "",
        garbage: Bool = false
    ) async throws -> RejectingTLSServer {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("rejecting_tls_server.py")
        var arguments = [
            "python3", script.path, "--cert", certificates.server.certificatePath, "--key",
            certificates.server.keyPath, "--client-ca", certificates.ca.certificatePath, "--status", status,
            "--body", body,
        ]
        for header in headers { arguments += ["--header", header] }
        if garbage { arguments.append("--garbage") }
        let process = try ChildProcess(URL(fileURLWithPath: "/usr/bin/env"), arguments: arguments)
        guard await process.stdout.wait(count: 1, timeout: .seconds(20)), let port = Int(process.stdout.events[0])
        else {
            process.closeInput()
            throw TestCertificateError(description: "the TLS test server did not start: \(process.stderr.events)")
        }
        return RejectingTLSServer(port: port, process: process)
    }

    /// The request heads of the first `count` requests answered, waiting (bounded) for them.
    func requests(_ count: Int) async throws -> [String] {
        guard await process.stdout.wait(count: count + 1, timeout: .seconds(20)) else {
            throw TestCertificateError(description: "fewer than \(count) requests: \(process.stdout.events)")
        }
        return process.stdout.events.dropFirst().map { line in
            let json = line.split(separator: " ", maxSplits: 2).last.map(String.init) ?? ""
            return (try? JSONDecoder().decode(String.self, from: Data(json.utf8))) ?? line
        }
    }

    func stop() { process.closeInput() }
}
