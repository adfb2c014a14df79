// PoolCommand: `kstlib-bench pool`, a WebSocketPool against a single WebSocketManager at the same
// combined rate, and the time a pool takes to restore every subscription after a storm.
//
// The embedded server runs in a child process (`kstlib-bench serve`), so this process's CPU time
// is the client's alone. Every connection of the client is serviced by the library's one
// event-loop thread. Two measurements:
// - **CPU per message**: `--topics` topics on `/topics`, each sending `--rate / --topics`
//   messages a second, over one manager and over a pool of `--shards` shards; after a warm-up in
//   which every topic has delivered, the client's CPU time (getrusage) over `--seconds`, per
//   message received.
// - **Restore after a storm**: the pool again, now with exchange pacing (`--subscribe-rate`
//   messages per second per connection, `--topics-per-message`, `--spacing` between connection
//   attempts); once every topic flows, the server drops every connection, and the time until
//   every topic has delivered again is measured: reconnects through the window, re-subscriptions
//   at the paced rate, and the first message of each topic.
import ArgumentParser
import Foundation
import KstlibWebSocket

struct PoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool",
        abstract: "A sharded pool against one manager at the same rate (CPU per message), and a storm's restore time.")

    @Option(help: "Topics subscribed.")
    var topics = 10_000

    @Option(help: "Shards of the pool (the topics are split evenly).")
    var shards = 10

    @Option(help: "Combined messages per second over all topics.")
    var rate = 100_000

    @Option(help: "Seconds of each timed CPU measurement.")
    var seconds = 5.0

    @Option(help: "Outgoing messages per second per connection during the storm case (an exchange's limit).")
    var subscribeRate = 5

    @Option(help: "Topics per subscribe message during the storm case.")
    var topicsPerMessage = 10

    @Option(help: "Milliseconds between two connection attempts of the pool during the storm case.")
    var spacing = 100

    func validate() throws {
        guard topics >= shards, shards >= 1 else { throw ValidationError("--topics must be at least --shards >= 1") }
        guard rate >= topics / 100, rate <= topics * 1000 else {
            throw ValidationError("--rate / --topics must be within 0.01...1000 messages per second per topic")
        }
    }

    func run() async throws {
        let executables = try Executables.locate()
        let server = try ChildProcess([executables.bench, "serve"])
        struct Ready: Decodable { var port: Int }
        guard let line = server.readLine(timeout: .seconds(10)),
            let ready = try? JSONDecoder().decode(Ready.self, from: Data(line.utf8))
        else { throw ChildProcessError(description: "the benchmark server did not start") }
        defer {
            server.closeInput()
            server.waitForExit()
        }
        let perTopic = Double(rate) / Double(topics)
        let url = "ws://127.0.0.1:\(ready.port)/topics?rate=\(perTopic)"
        let names = (0..<topics).map { "t\($0)" }
        let workload = PoolWorkload(url: url, topics: names, seconds: seconds)

        log("single manager: \(topics) topics at \(rate) msg/s")
        let single = try await workload.measureSingleManager()
        log("pool: \(shards) shards, \(topics) topics at \(rate) msg/s")
        let pooled = try await workload.measurePool(shards: shards)
        log("storm: pool with \(subscribeRate) msg/s per connection, \(topicsPerMessage) topics per message")
        let storm = try await workload.measureStorm(
            shards: shards, subscribeRate: subscribeRate, topicsPerMessage: topicsPerMessage,
            spacing: .milliseconds(spacing), drop: { server.writeLine("drop") })

        for report in [single, pooled] {
            print(
                #"{"workload":"pool-cpu","client":"\#(report.client)","topics":\#(topics),"shards":\#(report.shards),"#
                    + #""target_msgs_per_s":\#(rate),"msgs_per_s":\#(Int(report.messagesPerSecond)),"#
                    + #""cpu_us_per_msg":\#(String(format: "%.3f", report.cpuMicrosecondsPerMessage))}"#)
        }
        print(
            #"{"workload":"pool-storm","topics":\#(topics),"shards":\#(shards),"subscribe_rate":\#(subscribeRate),"#
                + #""topics_per_message":\#(topicsPerMessage),"spacing_ms":\#(spacing),"#
                + #""initial_s":\#(String(format: "%.2f", storm.initial.seconds)),"#
                + #""restore_s":\#(String(format: "%.2f", storm.restore.seconds)),"#
                + #""connections_opened":\#(storm.connectionsOpened)}"#)
        let ratio = pooled.cpuMicrosecondsPerMessage / single.cpuMicrosecondsPerMessage
        print(
            """

            | client | shards | msg/s | CPU µs/msg |
            | --- | --- | --- | --- |
            | WebSocketManager | 1 | \(Int(single.messagesPerSecond)) | \(String(format: "%.3f", single.cpuMicrosecondsPerMessage)) |
            | WebSocketPool | \(shards) | \(Int(pooled.messagesPerSecond)) | \(String(format: "%.3f", pooled.cpuMicrosecondsPerMessage)) |

            pool / manager CPU per message: \(String(format: "%.2f", ratio))
            storm: every subscription restored \(String(format: "%.2f", storm.restore.seconds)) s after the drop \
            (initial subscribe to every topic flowing: \(String(format: "%.2f", storm.initial.seconds)) s)
            """)
    }

    private func log(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
