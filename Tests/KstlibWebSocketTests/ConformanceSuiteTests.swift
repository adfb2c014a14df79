// ConformanceSuiteTests.swift — echo-client against the Autobahn|Testsuite client cases.
//
// Why: `Conformance/fuzzingserver.py` plays the 517 client cases of Autobahn|Testsuite (framing,
// pings, reserved bits, opcodes, fragmentation, UTF-8, close handling, limits, auto-fragmentation,
// permessage-deflate) against the built `echo-client` over real sockets and judges each case the
// way Autobahn does: the echo must be byte-exact, and a violation must fail the connection with
// the right close code. This test runs the quick variant CI relies on (section 9 at 1/16 of its
// sizes, 9.7–9.8 and 12–13 with fewer messages) as a subprocess; `make conformance` runs the full
// sizes.
//
// The script prints its per-section table and ends with the line `N passed, M failed`; the test
// needs exit status 0 and that line with M == 0 and N > 250: every case, 2.10 and 2.11 (bursts
// of pings) included. Output goes to
// temporary files (so no pipe can fill up), the exit is awaited through `terminationHandler`, and
// the only timer is the kill switch.
import Foundation
import KstlibWebSocket
import Testing

@Suite(.timeLimit(.minutes(3))) struct ConformanceSuiteTests {
    @Test(.timeLimit(.minutes(4)))
    func echoClientPassesEveryQuickAutobahnClientCase() async throws {
        guard let client = exampleExecutable("echo-client") else { return }
        let script = packageRoot.appendingPathComponent("Conformance/fuzzingserver.py")
        try #require(FileManager.default.fileExists(atPath: script.path), "missing \(script.path)")

        let run = try await runConformanceScript(
            arguments: [
                script.path, "--client", client.path, "--quick",
                // What this libwebsockets lets the client promise for a burst of pings.
                "--ping-replies", "\(LibWebSocketsRuntime.current.pingReplies)",
            ], timeLimit: .seconds(175))

        #expect(!run.timedOut, "the quick suite ran past 175 s and was killed\n\(run.summary)")
        #expect(run.status == 0, "\(run.summary)")
        let last = run.stdoutLines.last ?? ""
        let counts = Self.passedAndFailed(last)
        #expect(counts != nil, "the last line is not \"N passed, M failed\": \(last)\n\(run.summary)")
        if let counts {
            #expect(counts.failed == 0, "\(last) (the failed cases are listed above)")
            #expect(counts.passed > 250, "\(last)")
        }
    }

    /// "517 passed, 0 failed" → (517, 0).
    static func passedAndFailed(_ line: String) -> (passed: Int, failed: Int)? {
        let words = line.split(separator: " ")
        guard words.count == 4, words[1] == "passed,", words[3] == "failed",
            let passed = Int(words[0]), let failed = Int(words[2])
        else { return nil }
        return (passed, failed)
    }
}

/// The package's root directory, found from this file's path (Tests/KstlibWebSocketTests/…).
private let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// What the conformance script did.
private struct ConformanceRun {
    let status: Int32
    let stdout: String
    let stderr: String
    let timedOut: Bool

    var stdoutLines: [String] {
        stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    /// The failed cases and the table (the script's last 60 lines) plus any stderr, for a failure message.
    var summary: String {
        let tail = stdoutLines.suffix(60).joined(separator: "\n")
        return "exit \(status)\n\(tail)" + (stderr.isEmpty ? "" : "\nstderr:\n\(stderr.suffix(4000))")
    }
}

/// Runs `python3 <arguments>` (python3 from PATH) to completion; terminates it after `timeLimit`.
private func runConformanceScript(arguments: [String], timeLimit: Duration) async throws -> ConformanceRun {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("kstlib-conformance-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let stdoutURL = directory.appendingPathComponent("stdout")
    let stderrURL = directory.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
    let stdoutHandle = try FileHandle(forWritingTo: stdoutURL)
    let stderrHandle = try FileHandle(forWritingTo: stderrURL)
    defer {
        try? stdoutHandle.close()
        try? stderrHandle.close()
    }

    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    process.currentDirectoryURL = packageRoot
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = stdoutHandle
    process.standardError = stderrHandle

    let timedOut = ConformanceFlag()
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { finished in continuation.resume(returning: finished.terminationStatus) }
        do {
            try process.run()
        } catch {
            process.terminationHandler = nil
            continuation.resume(throwing: error)
            return
        }
        let seconds = Double(timeLimit.components.seconds)
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [process] in
            guard process.isRunning else { return }
            timedOut.set()
            process.terminate()
        }
    }
    let stdout = (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? ""
    let stderr = (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? ""
    return ConformanceRun(status: status, stdout: stdout, stderr: stderr, timedOut: timedOut.isSet)
}

/// A flag set once, from any thread.
///
/// `@unchecked Sendable`: the only state is a `Bool` read and written under `lock`.
private final class ConformanceFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
