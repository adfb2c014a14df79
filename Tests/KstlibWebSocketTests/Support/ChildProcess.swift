// A program started as a child process that a test talks to while it runs.
import Foundation
import Glibc

/// A running child process with its standard input open and its output read line by line.
///
/// Unlike the examples' run-to-completion helper, a test can write to it, wait for a line, send
/// it a signal, then wait for its exit, each with a bound. Output is read on threads of their
/// own; lines land in ``stdout`` and ``stderr``, which tests wait on by count.
final class ChildProcess {
    let stdout = EventLog<String>()
    let stderr = EventLog<String>()
    private let process = Process()
    private let input = Pipe()
    private let exitStatus = FirstResult<Int32>()
    /// Offered when the reader of standard output, then of standard error, reached the end.
    private let outputRead = (FirstResult<Void>(), FirstResult<Void>())

    /// `environment` adds to (or overrides) this process's own variables.
    init(_ executable: URL, arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardInput = input
        let (output, errors) = (Pipe(), Pipe())
        process.standardOutput = output
        process.standardError = errors
        process.terminationHandler = { [exitStatus] in exitStatus.offer(.success($0.terminationStatus)) }
        try process.run()
        Self.readLines(output.fileHandleForReading, into: stdout, then: outputRead.0)
        Self.readLines(errors.fileHandleForReading, into: stderr, then: outputRead.1)
    }

    /// Writes `line` and a newline to the child's standard input.
    func send(_ line: String) { input.fileHandleForWriting.write(Data((line + "\n").utf8)) }

    /// Ends the child's standard input.
    func closeInput() { try? input.fileHandleForWriting.close() }

    /// Sends `signal` (SIGTERM, SIGINT) to the child.
    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// The exit status, once every line the child wrote is in ``stdout`` and ``stderr``; the
    /// child is killed and the test fails with a timeout after `limit`.
    func exit(within limit: Duration = .seconds(30)) async throws -> Int32 {
        do {
            return try await within(limit) { [exitStatus, outputRead] in
                let status = try await exitStatus.value()
                try await outputRead.0.value()
                try await outputRead.1.value()
                return status
            }
        } catch {
            process.terminate()
            throw error
        }
    }

    /// Splits what `handle` delivers into lines, until the writer closes it; then offers `done`.
    private static func readLines(_ handle: FileHandle, into log: EventLog<String>, then done: FirstResult<Void>) {
        let thread = Thread {
            var pending = Data()
            while case let chunk = handle.availableData, !chunk.isEmpty {
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    log.append(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                    pending.removeSubrange(pending.startIndex...newline)
                }
            }
            if !pending.isEmpty { log.append(String(decoding: pending, as: UTF8.self)) }
            done.offer(.success(()))
        }
        thread.name = "ChildProcess.readLines"
        thread.start()
    }
}
