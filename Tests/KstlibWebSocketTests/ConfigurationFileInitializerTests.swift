// Loading WebSocketConfiguration from a file: the public initializers on real files and named strings,
// and explicit values over the file's.
import Foundation
import Testing
@testable import KstlibWebSocket

@Suite("Configuration file: the public initializers", .timeLimit(.minutes(3)))
struct ConfigurationFileInitializerTests {
    @Test("A missing file is an error naming the file")
    func missingFile() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("kstlib-no-such-\(UUID().uuidString).yml").path
        let error = #expect(throws: WebSocketConfigurationError.self) {
            _ = try WebSocketConfiguration(contentsOfFile: path)
        }
        #expect(error?.file == path)
        #expect(error?.key == "")
        #expect(error?.message == "cannot read the configuration file: no such file")

        let directory = FileManager.default.temporaryDirectory.path
        let notAFile = #expect(throws: WebSocketConfigurationError.self) {
            _ = try WebSocketConfiguration(contentsOfFile: directory)
        }
        #expect(
            notAFile
                == WebSocketConfigurationError(
                    "cannot read the configuration file: it is a directory", file: directory))
    }

    @Test("A real file is read, and explicit values set afterwards win unclamped")
    func realFileAndPrecedence() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("kstlib-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("kstlib.conf.yml").path
        try """
        websocket:
          ping:
            interval: 30
            timeout: 1          # clamped to 5
          reconnect:
            strategy: immediate
        """.write(toFile: path, atomically: true, encoding: .utf8)

        var warnings: [String] = []
        var config = try WebSocketConfiguration(contentsOfFile: path, warn: { warnings.append($0) })
        // defaults < file
        #expect(config.pingInterval == .seconds(30))
        #expect(config.pingTimeout == .seconds(5))
        #expect(config.reconnectStrategy == .immediate)
        #expect(config.queueSize == 1000)
        #expect(warnings.count == 1)
        #expect(warnings.first?.hasPrefix("\(path): websocket.ping.timeout = 1 ") == true)

        // file < explicit, and explicit values are not clamped.
        config.pingInterval = .seconds(3)
        config.pingTimeout = .milliseconds(100)
        #expect(config.pingInterval == .seconds(3))
        #expect(config.pingTimeout == .milliseconds(100))

        // The public initializer (warnings to the default logger) reads the same values.
        let logged = try WebSocketConfiguration(contentsOfFile: path)
        #expect(logged.pingInterval == .seconds(30))
        #expect(logged.pingTimeout == .seconds(5))
    }

    @Test("A file with a wrong type names the file's path")
    func wrongTypeInFile() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("kstlib-config-\(UUID().uuidString).yml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "websocket:\n  queue:\n    size: lots\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: WebSocketConfigurationError.self) {
            _ = try WebSocketConfiguration(contentsOfFile: path)
        }
        #expect(
            error
                == WebSocketConfigurationError(
                    "expected a whole number, got a string", key: "websocket.queue.size", file: path, value: "lots"))
    }

    @Test("A file that is not UTF-8 is an error")
    func notUTF8() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("kstlib-config-\(UUID().uuidString).yml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data([0x77, 0x73, 0x3A, 0x20, 0xFF, 0xFE, 0x0A]).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: WebSocketConfigurationError.self) {
            _ = try WebSocketConfiguration(contentsOfFile: path)
        }
        #expect(error?.file == path)
        #expect(error?.key == "")
    }

    @Test("The public YAML initializer uses the source name in errors")
    func publicYAMLInit() throws {
        let config = try WebSocketConfiguration(yaml: "websocket: {queue: {size: 5}}")
        #expect(config.queueSize == 5)
        let error = #expect(throws: WebSocketConfigurationError.self) {
            _ = try WebSocketConfiguration(yaml: "websocket: {queue: {size: x}}", source: "inline")
        }
        #expect(error?.file == "inline")
        let unnamed = #expect(throws: WebSocketConfigurationError.self) {
            _ = try WebSocketConfiguration(yaml: "websocket: {queue: {size: x}}")
        }
        #expect(unnamed?.file == "<string>")
    }
}
