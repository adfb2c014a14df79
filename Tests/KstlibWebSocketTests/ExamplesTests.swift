// ExamplesTests.swift — the example executables, run as real processes.
//
// Why: the examples are what a newcomer runs first, so they are tested the way they are used:
// the built `ws-demo`, `error-handling`, `echo-client` and `sharded-feed` binaries are started with Foundation's
// `Process`, their output is read, and their exit status checked. `swift build --build-tests`
// (what `make test` runs) builds every target, executables included, into the same directory as
// the test bundle, which is where `exampleExecutable(_:)` looks for them.
//
// The echo-client test is the important one: a RawWebSocketServer in this process writes 1,000
// messages of 0 B to 64 KiB byte by byte and checks every echo byte-exact, so the client's
// receive and send paths are checked by an independent framing implementation.
// Nothing waits by sleeping: process exit is awaited through `terminationHandler`, output is read
// to EOF on a thread of its own, and the only timer is the 60 s kill switch.
import Foundation
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(3))) struct ExamplesTests {
    // MARK: ws-demo

    @Test func wsDemoStreamsQuotesFromTheEmbeddedServerAndPrintsItsStats() async throws {
        guard let demo = exampleExecutable("ws-demo") else { return }
        let result = try await runProcess(demo, arguments: ["--count", "5"])
        #expect(!result.timedOut)
        #expect(result.status == 0, "\(result.output)")

        let quoteLines = result.lines.filter(isQuoteLine)
        #expect(quoteLines.count == 5, "\(result.output)")
        let sequence = quoteLines.compactMap { Int($0.split(separator: " ").first ?? "") }
        #expect(sequence == [1, 2, 3, 4, 5], "\(result.output)")
        let stats = result.lines.first { $0.hasPrefix("stats: ") }
        #expect(stats?.contains("connects=1") == true, "\(result.output)")
        #expect(stats?.contains("received=5") == true, "\(result.output)")
        #expect(result.lines.contains("close: 1000"), "the demo closes normally:\n\(result.output)")
    }

    /// `seq  symbol  price`, as ws-demo prints a quote: "3       BTCUSDT     42001.57".
    private func isQuoteLine(_ line: String) -> Bool {
        let fields = line.split(separator: " ")
        guard fields.count == 3, Int(fields[0]) != nil, fields[1] == "BTCUSDT" else { return false }
        return Double(fields[2]) != nil
    }

    // MARK: sharded-feed

    @Test func shardedFeedKeepsEveryLimitAndLosesNothingThroughAStorm() async throws {
        guard let example = exampleExecutable("sharded-feed") else { return }
        let result = try await runProcess(example, arguments: [])
        #expect(!result.timedOut)
        #expect(result.status == 0, "\(result.output)")
        for expected in [
            "subscribed 5000 topics over 5 shards", "restored every subscription in", "violations               0",
            "duplicates 0", "OK: no limit broken, nothing lost",
        ] {
            #expect(result.output.contains(expected), "missing \"\(expected)\" in:\n\(result.output)")
        }
        let shardLines = result.lines.filter { $0.hasPrefix("  #") }
        #expect(shardLines.count == 5, "\(result.output)")
        #expect(shardLines.allSatisfy { $0.contains("reconnects=1") }, "\(result.output)")
    }

    // MARK: error-handling

    @Test func errorHandlingExampleProvokesEveryErrorOfTheSeed() async throws {
        guard let example = exampleExecutable("error-handling") else { return }
        let result = try await runProcess(example, arguments: [])
        #expect(!result.timedOut)
        #expect(result.status == 0, "\(result.output)")
        let expectedLines = [
            "caught WebSocketConnectionError: Failed to connect to ws://127.0.0.1:", // refused port
            "after 3 attempts",
            "caught WebSocketConnectionError: Failed to connect to http://example.com after 0 attempts",
            "caught WebSocketClosedError: Connection closed: 4001 - maintenance",
            "caught WebSocketClosedError: Connection closed: 1006 - ",
            "caught WebSocketTimeoutError: Timeout during receive: ",
            "caught WebSocketReconnectError: Reconnection failed after 2 attempts",
            "6/6 scenarios were handled by the expected catch clause",
        ]
        for expected in expectedLines {
            #expect(result.output.contains(expected), "missing \"\(expected)\" in:\n\(result.output)")
        }
        #expect(!result.output.contains("UNEXPECTED"), "\(result.output)")
    }

    // MARK: echo-client

    @Test func echoClientEchoesAThousandMessagesByteExactAndExitsOnTheServersClose() async throws {
        guard let echoClient = exampleExecutable("echo-client") else { return }
        let payloads = EchoPayloads.all
        let server = try RawWebSocketServer { peer in
            let request = try peer.readRequest()
            try peer.acceptUpgrade(request)
            var exact = 0
            for (index, sent) in payloads.enumerated() {
                try peer.sendFrame(opcode: sent.opcode, payload: sent.payload)
                guard let echo = try Self.readDataMessage(peer) else {
                    throw EchoScriptFailure("the client closed before echoing message #\(index)")
                }
                guard echo.opcode == sent.opcode, echo.payload == sent.payload else {
                    throw EchoScriptFailure(
                        "message #\(index) (opcode \(sent.opcode), \(sent.payload.count) B) came back as opcode "
                            + "\(echo.opcode), \(echo.payload.count) B, first difference at byte "
                            + "\(Self.firstDifference(echo.payload, sent.payload))")
                }
                exact += 1
            }
            peer.record("echoed \(exact) of \(payloads.count) byte-exact")
            try peer.sendClose(code: 1000, reason: "done")
            guard let reply = try peer.readUntilClose(timeout: .seconds(10)) else {
                throw EchoScriptFailure("no close reply: the connection ended first")
            }
            peer.record("close reply \(reply.closeCode.map(String.init) ?? "without a code")")
            peer.close()
        }
        defer { server.stop() }

        let result = try await runProcess(echoClient, arguments: [server.url("/echo")])
        #expect(server.waitForScripts(count: 1, timeout: .seconds(10)))
        #expect(server.scriptErrors.isEmpty, "\(server.scriptErrors)")
        #expect(
            server.scriptRecords == ["echoed 1000 of 1000 byte-exact", "close reply 1000"], "\(server.scriptRecords)")
        #expect(!result.timedOut)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("closed: 1000"), "\(result.output)")
        #expect(result.output.contains("after 1000 messages"), "\(result.output)")
    }

    /// The index of the first byte where `a` and `b` differ (the shorter length when one is a prefix).
    private static func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
        zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
    }

    /// The next text or binary message; control frames (a stray pong, say) are skipped.
    private static func readDataMessage(_ peer: RawPeer) throws -> (opcode: UInt8, payload: [UInt8])? {
        while let message = try peer.readMessage(timeout: .seconds(10)) {
            if message.opcode == RawOpcode.text || message.opcode == RawOpcode.binary { return message }
            if message.opcode == RawOpcode.close {
                throw EchoScriptFailure("the client sent close \(message.payload) in the middle of the exchange")
            }
        }
        return nil
    }
}

// MARK: - The echo test's messages

/// 1,000 messages, alternately text (valid UTF-8, with 2-, 3- and 4-byte characters) and binary,
/// of sizes from 0 B to 64 KiB: every size at a framing boundary twice (once as text, once as
/// binary), then pseudo-random sizes from a fixed seed, mostly small, a quarter up to 64 KiB.
private enum EchoPayloads {
    static let count = 1_000
    static let boundarySizes = [
        0, 1, 2, 124, 125, 126, 127, 128, 1_023, 1_024, 4_095, 4_096, 16_383, 16_384, 16_385, 65_534, 65_535, 65_536,
    ]

    static let all: [(opcode: UInt8, payload: [UInt8])] = {
        var generator = SeededRandom(seed: 0x6B73_746C_6962)
        var sizes = boundarySizes.flatMap { [$0, $0] }
        while sizes.count < count {
            let limit = sizes.count % 4 == 0 ? 65_536 : 2_048
            sizes.append(Int.random(in: 0...limit, using: &generator))
        }
        return sizes.enumerated().map { index, size in
            index % 2 == 0
                ? (RawOpcode.text, text(byteCount: size, variant: index))
                : (RawOpcode.binary, (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) })
        }
    }()

    /// Exactly `byteCount` bytes of valid UTF-8, mixing ASCII with multi-byte characters.
    static func text(byteCount: Int, variant: Int) -> [UInt8] {
        let alphabet = ["k", "s", "t", "é", "€", "😀", " ", "ü", "字", "7"].map { Array($0.utf8) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(byteCount)
        var position = variant
        while bytes.count < byteCount {
            let character = alphabet[position % alphabet.count]
            position += 1
            // Near the end, a character that would not fit is replaced by ASCII.
            bytes += bytes.count + character.count <= byteCount ? character : [UInt8(ascii: "a")]
        }
        return bytes
    }
}

private struct EchoScriptFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Running the examples

/// An example executable built next to the test bundle (`swift build --build-tests` builds them
/// into the same products directory, e.g. `.build/debug/`); `nil`, with a recorded issue, when
/// it is not there.
///
/// The test process is the bundle itself on Linux (`.build/<triple>/debug/<package>PackageTests.xctest`),
/// so the directory of `CommandLine.arguments[0]`, symlinks resolved, is the products directory. On
/// macOS the bundle's executable sits a few levels deeper (`….xctest/Contents/MacOS/…`), hence the
/// walk up, and the loaded `.xctest` bundles are tried as well.
func exampleExecutable(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> URL? {
    var starts = [URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()]
    starts += Bundle.allBundles.map(\.bundleURL).filter { $0.pathExtension == "xctest" }
    starts.append(Bundle.main.bundleURL)
    var searched: [String] = []
    for start in starts {
        var directory = start.standardizedFileURL
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(name)
            searched.append(directory.path)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
    }
    Issue.record(
        "example executable '\(name)' not found; build it first (swift build --build-tests). Searched: \(searched)",
        sourceLocation: sourceLocation)
    return nil
}

/// What a finished example process did.
private struct ProcessResult {
    /// The exit status (or the signal number when it was killed).
    let status: Int32
    /// Standard output and standard error, interleaved.
    let output: String
    /// Whether the process was terminated for running past its time limit.
    let timedOut: Bool

    var lines: [String] { output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
}

/// Runs `executable` to completion and collects its output; terminates it after `timeLimit`.
private func runProcess(_ executable: URL, arguments: [String], timeLimit: DispatchTimeInterval = .seconds(60))
    async throws -> ProcessResult
{
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice

    let exitStatus = FirstResult<Int32>()
    process.terminationHandler = { finished in exitStatus.offer(.success(finished.terminationStatus)) }
    try process.run()
    // Read while the process runs, so a chatty child never blocks on a full pipe.
    let output = readToEnd(pipe.fileHandleForReading)
    let timedOut = Flag()
    let killSwitch = DispatchWorkItem { [process] in
        timedOut.set()
        process.terminate()
    }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeLimit, execute: killSwitch)
    let status = try await exitStatus.value()
    killSwitch.cancel()
    let bytes = try await output.value()
    return ProcessResult(status: status, output: String(decoding: bytes, as: UTF8.self), timedOut: timedOut.isSet)
}

/// A flag set once, from any thread.
private final class Flag: Sendable {
    private let value = Atomic(false)
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}

/// Reads a file handle to its end on a thread of its own, so no cooperative thread blocks;
/// the data is handed over once the writer has closed its end.
private func readToEnd(_ handle: FileHandle) -> FirstResult<Data> {
    let result = FirstResult<Data>()
    let thread = Thread { result.offer(.success(handle.readDataToEndOfFile())) }
    thread.name = "ExamplesTests.readToEnd"
    thread.start()
    return result
}
