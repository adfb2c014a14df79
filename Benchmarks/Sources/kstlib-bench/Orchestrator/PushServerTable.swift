// PushServerTable: for each push case and client, the client's rate beside the server's, so a
// figure that only measured the server says so. The C push server reports, per connection, what
// it sent from first to last write (held back by a slow client, so close to any client's rate)
// and its CPU time over that span; sent / CPU time is its capacity, what it could send. A client
// at ≥ 95% of that capacity was held back by the server: the case is flagged server-bound.
import Foundation

struct PushServerTable {
    /// client / capacity at or above this: the server, not the client, set the pace.
    static let serverBoundRatio = 0.95

    private var lines: [String] = [
        "| case | client | client msgs/s | server sent msgs/s | server capacity msgs/s | client/capacity | |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    private(set) var isEmpty = true

    mutating func add(_ measurement: Measurement) {
        let benchCase = measurement.benchCase
        guard benchCase.workload == .push else { return }
        isEmpty = false
        let ratio = measurement.value("client_per_capacity")
        let verdict: String
        if let ratio {
            verdict = ratio >= Self.serverBoundRatio ? "SERVER-BOUND" : ""
        } else {
            verdict = benchCase.server == .swift ? "unknown (the Swift server reports no rate)" : "no server data"
        }
        let cells = [
            benchCase.label, measurement.client.title,
            RatioTable.format(measurement.value("msgs_per_s"), 0),
            RatioTable.format(measurement.value("server_msgs_per_s"), 0),
            RatioTable.format(measurement.value("server_capacity_msgs_per_s"), 0),
            ratio.map { String(format: "%.3f", $0) } ?? "-", verdict,
        ]
        lines.append("| " + cells.joined(separator: " | ") + " |")
    }

    var text: String { lines.joined(separator: "\n") }
}
