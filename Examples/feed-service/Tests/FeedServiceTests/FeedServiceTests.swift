// feed-service run as a process: it follows the embedded server's ticker, serves /quote and
// /metrics, and on SIGTERM closes its WebSocket with 1001 and exits 0.
import Foundation
import KstlibWebSocketServer
import Synchronization
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite struct FeedServiceTests {
    @Test func servesQuotesAndMetricsThenShutsDownWith1001OnSIGTERM() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("feed-service")
        let process = Process()
        process.executableURL = executable
        process.arguments = ["--ws-url", server.url("/ticker?rate=50"), "--port", "0"]
        let output = Pipe()
        process.standardOutput = output
        let exited = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { exited.continuation.yield($0.terminationStatus) }
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let lines = Self.lines(of: output.fileHandleForReading)

        // The HTTP server and the feed start side by side: their lines come in either order.
        let started = try await bounded("the 'listening on' and 'first quote' lines") {
            await Self.firstLines(of: lines, startingWith: ["listening on ", "first quote: "])
        }
        let base = try #require(started["listening on "]?.dropFirst("listening on ".count), "\(started)")
        #expect(started["first quote: "]?.hasPrefix("first quote: {") == true, "\(started)")

        let (quote, quoteStatus) = try await get(base + "/quote")
        #expect(quoteStatus == 200)
        #expect(quote.contains("\"symbol\":\"BTCUSDT\""), "\(quote)")
        let (metrics, metricsStatus) = try await get(base + "/metrics")
        #expect(metricsStatus == 200)
        let received = Self.value(of: "kstlib_websocket_messages_received_total", in: metrics)
        #expect((received ?? 0) > 0, "the received counter moved:\n\(metrics)")
        #expect(Self.value(of: "kstlib_websocket_connects_total", in: metrics) == 1, "\(metrics)")

        process.terminate() // SIGTERM
        let status = try await next(of: exited.stream, "the exit after SIGTERM")
        #expect(status == 0)
        #expect(server.receivedCloseCodes == [1001], "the feed saw the service going away")
        let stopped = try await next(of: lines, "the 'stopped' line")
        #expect(stopped == "stopped: 1001 service shutting down")
    }

    /// The first line with each prefix, reading until every prefix was seen or the output ended.
    static func firstLines(of lines: AsyncStream<String>, startingWith prefixes: [String]) async -> [String: String] {
        var found: [String: String] = [:]
        for await line in lines {
            for prefix in prefixes where found[prefix] == nil && line.hasPrefix(prefix) { found[prefix] = line }
            if found.count == prefixes.count { break }
        }
        return found
    }

    /// The value of the sample of `name` (any labels) in Prometheus text.
    static func value(of name: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
            .flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
    }

    /// Lines of `handle`, read on a thread of its own until the writer closes it.
    static func lines(of handle: FileHandle) -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let thread = Thread {
            var pending = Data()
            while case let chunk = handle.availableData, !chunk.isEmpty {
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    continuation.yield(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                    pending.removeSubrange(pending.startIndex...newline)
                }
            }
            continuation.finish()
        }
        thread.start()
        return stream
    }

    func get(_ url: String) async throws -> (String, Int) {
        let (data, response) = try await bounded("GET \(url)") {
            try await URLSession.shared.data(from: try #require(URL(string: url)))
        }
        return (String(decoding: data, as: UTF8.self), (response as? HTTPURLResponse)?.statusCode ?? 0)
    }
}

/// The next element of `stream` (`nil` when it finished), within 60 s.
func next<T: Sendable>(of stream: AsyncStream<T>, _ what: String) async throws -> T? {
    try await bounded(what) {
        var iterator = stream.makeAsyncIterator()
        return await iterator.next()
    }
}

/// What a bounded wait was waiting for when its time ran out.
struct WaitedTooLong: Error, CustomStringConvertible {
    let what: String
    var description: String { "no \(what) within 60 s" }
}

/// Runs `body`, failing with ``WaitedTooLong`` naming `what` after 60 s.
func bounded<T: Sendable>(_ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(60))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw WaitedTooLong(what: what) }
        return value
    }
}
