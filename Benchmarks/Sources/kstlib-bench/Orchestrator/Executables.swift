// Executables: the programs `run` starts: itself (for `serve` and the Swift client) and the C
// baseline built beside it by the same `swift build`.
import Foundation

struct Executables: Sendable {
    let bench: String
    let baseline: String

    static func locate() throws -> Executables {
        guard let bench = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
            throw ChildProcessError(description: "cannot find this executable through /proc/self/exe")
        }
        let baseline = URL(fileURLWithPath: bench).deletingLastPathComponent().appendingPathComponent(
            "c-baseline-client"
        ).path
        guard FileManager.default.isExecutableFile(atPath: baseline) else {
            throw ChildProcessError(
                description: "\(baseline) is missing: build the whole package (swift build -c release)")
        }
        return Executables(bench: bench, baseline: baseline)
    }

    /// libwebsockets' version as the C baseline reports it.
    func libwebsocketsVersion() -> String {
        guard let process = try? ChildProcess([baseline, "--version"]) else { return "unknown" }
        let version = process.readLine() ?? "unknown"
        process.waitForExit()
        return version.trimmingCharacters(in: CharacterSet(charactersIn: "- \n"))
    }
}
