// kstlib-bench: the benchmark command line. `run` is what a person types; `serve` and `client`
// are the processes `run` starts (the embedded server, and the Swift client for one workload).
import ArgumentParser

@main
struct KstlibBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kstlib-bench",
        abstract: "Benchmarks the kstlib-swift WebSocket client against a raw C libwebsockets client.",
        subcommands: [RunCommand.self, ServeCommand.self, ClientCommand.self])
}
