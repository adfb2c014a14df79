// Executables: the programs `run` starts: itself (for `serve` and the Swift client), the C
// baseline and the C push server, built beside it by the same `swift build`.
import Foundation

struct Executables: Sendable {
    let bench: String
    let baseline: String
    let pushServer: String

    static func locate() throws -> Executables {
        guard let bench = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
            throw ChildProcessError(description: "cannot find this executable through /proc/self/exe")
        }
        let folder = URL(fileURLWithPath: bench).deletingLastPathComponent()
        let siblings = ["c-baseline-client", "c-push-server"].map { folder.appendingPathComponent($0).path }
        for path in siblings where !FileManager.default.isExecutableFile(atPath: path) {
            throw ChildProcessError(description: "\(path) is missing: build the whole package (swift build -c release)")
        }
        return Executables(bench: bench, baseline: siblings[0], pushServer: siblings[1])
    }

    /// libwebsockets' version as the C baseline reports it.
    func libwebsocketsVersion() -> String {
        guard let process = try? ChildProcess([baseline, "--version"]) else { return "unknown" }
        let version = process.readLine() ?? "unknown"
        process.waitForExit()
        return version.trimmingCharacters(in: CharacterSet(charactersIn: "- \n"))
    }
}
