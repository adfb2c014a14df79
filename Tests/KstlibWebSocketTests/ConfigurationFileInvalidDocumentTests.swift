// Loading WebSocketConfiguration from a file: invalid YAML, and a document that is not a mapping.
import Testing
@testable import KstlibWebSocket

@Suite("Configuration file: invalid documents", .timeLimit(.minutes(3)))
struct ConfigurationFileInvalidDocumentTests: ConfigurationFileLoading {
    @Test(
        "Invalid YAML is an error with an empty key",
        arguments: [
            "websocket: [unclosed\n",
            "websocket:\n  ping: {interval: 5\n",
            "websocket:\n\tping: 5\n",
            "websocket:\n  ping: {interval: 5}\n  ping: {interval: 6}\n",
            "websocket: *undefined\n",
        ])
    func invalidYAML(yaml: String) throws {
        let error = try #require(loadError(yaml, source: "bad.yml"))
        #expect(error.key == "")
        #expect(error.file == "bad.yml")
        #expect(error.value == "")
        #expect(error.message.hasPrefix("invalid YAML: "))
        #expect(!error.message.contains("\n"))
    }

    @Test(
        "A document that is not a mapping is an error with an empty key",
        arguments: [
            "- websocket\n- ping\n",
            "just words\n",
        ])
    func notAMapping(yaml: String) throws {
        let error = try #require(loadError(yaml))
        #expect(error.key == "")
        #expect(error.message.hasPrefix("the configuration file must be a mapping of sections"))
    }
}
