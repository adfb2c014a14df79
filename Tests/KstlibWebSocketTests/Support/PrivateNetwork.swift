// Runs one test of this binary again in a network namespace of its own, where it may change the
// resolver configuration without touching the machine's.
//
// Why: a name server that never answers cannot be provoked on a shared machine without changing
// /etc/resolv.conf for every process on it. `unshare -n -m` gives the child a private network
// (only a loopback interface, brought up here) and a private mount table (util-linux makes it
// private by default, so the bind mount below never propagates to the host), in which
// /etc/resolv.conf is replaced by the test's own.
import Foundation
import Glibc

enum PrivateNetwork {
    /// Set in the child's environment: the test that checks it runs its body instead of skipping.
    static let childVariable = "KSTLIB_PRIVATE_NETWORK_CHILD"

    /// Whether this process is the child.
    static var isChild: Bool { ProcessInfo.processInfo.environment[childVariable] == "1" }

    /// Creating namespaces needs root (or user namespaces, which containers often forbid).
    static var isAvailable: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare")
            && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
    }

    /// Runs the swift-testing tests matching `filter` of this very binary in a private network
    /// namespace whose /etc/resolv.conf is `resolvConf`; returns the exit status and the output.
    static func run(filter: String, resolvConf: String) async throws -> (status: Int32, output: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kstlib-netns-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let resolvPath = directory.appendingPathComponent("resolv.conf").path
        try resolvConf.write(toFile: resolvPath, atomically: true, encoding: .utf8)
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = [
            "--net", "--mount", "/bin/sh", "-c",
            #"ip link set lo up && mount --bind "$1" /etc/resolv.conf && exec "$2" --testing-library swift-testing --filter "$3""#,
            "sh", resolvPath, executable, filter,
        ]
        var environment = ProcessInfo.processInfo.environment
        environment[childVariable] = "1"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let exited = FirstResult<Int32>()
        process.terminationHandler = { exited.offer(.success($0.terminationStatus)) }
        try process.run()
        // Read while it runs: a full pipe would block the child.
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        let status = try await exited.value()
        return (status, String(decoding: output, as: UTF8.self))
    }
}
