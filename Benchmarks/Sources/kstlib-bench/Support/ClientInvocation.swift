// ClientInvocation: the arguments of one client run. Both client programs take the same flags,
// so one invocation describes the run for either of them.

/// The workload of a client run, as both client programs name it on their command line.
enum WorkloadName: String, Sendable, CaseIterable {
    case push, pipe, rtt, conns
}

/// One run of one client: what to do, against which server.
struct ClientInvocation: Sendable {
    var workload: WorkloadName
    var address = "127.0.0.1"
    var port: Int
    /// Messages (push, pipe) or round trips (rtt).
    var count = 1000
    /// Payload bytes per message.
    var size = 64
    /// Messages in flight (pipe).
    var window = 64
    /// Connections (conns).
    var conns = 1000
    /// Handshakes in flight at most while opening them (conns); 0 opens all at once.
    var connectWindow = 0
    /// Untimed messages or round trips on a connection of their own before the timed run.
    var warmup = 0
    /// Offer permessage-deflate.
    var compression = false

    /// The flags, identical for `kstlib-bench client` and `c-baseline-client`.
    var arguments: [String] {
        var arguments = [
            "--workload", workload.rawValue, "--address", address, "--port", String(port),
            "--count", String(count), "--size", String(size), "--window", String(window),
            "--conns", String(conns), "--connect-window", String(connectWindow), "--warmup", String(warmup),
        ]
        if compression { arguments.append("--compression") }
        return arguments
    }
}
