// ServeCommand: `kstlib-bench serve`, the embedded libwebsockets server in a process of its own,
// so `run` can pin it to its own core and each client's RSS holds none of it.
//
// Protocol with the parent: once listening it prints `{"port":P}` on stdout; a line `drop` on
// its stdin drops every connection without a close frame (`pool`'s storm); it stops (closing
// every connection with 1001) when its stdin reaches end of file, i.e. when the parent closes
// the pipe or exits.
import ArgumentParser
import Foundation
import KstlibWebSocketServer

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the embedded server until stdin closes; prints {\"port\":P} once listening (used by `run`).",
        shouldDisplay: false)

    @Option(help: "Numeric address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 = a free one; `soak` restarts its server on the first one's port).")
    var port = 0

    @Option(help: "The /feed counter before its first message (`soak` numbers each server incarnation apart).")
    var feedStart = 0

    func run() throws {
        let server = try EmbeddedWebSocketServer(host: host, port: port, feedSequenceStart: feedStart)
        FileHandle.standardOutput.write(Data("{\"port\":\(server.port)}\n".utf8))
        // Blocks this thread only; the server runs on its own service thread.
        while let line = readLine() {
            if line == "drop" { server.dropAllConnections() }
        }
        server.stop()
    }
}
