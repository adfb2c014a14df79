// kstlib-bench: the benchmark command line. `run` and `soak` are what a person types; `serve` and
// `client` are the processes they start (the embedded server, and the Swift client for one workload).
import ArgumentParser

@main
struct KstlibBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kstlib-bench",
        abstract: "Benchmarks the kstlib-swift WebSocket client against a raw C libwebsockets client.",
        subcommands: [RunCommand.self, SoakCommand.self, PoolCommand.self, ServeCommand.self, ClientCommand.self])
}
