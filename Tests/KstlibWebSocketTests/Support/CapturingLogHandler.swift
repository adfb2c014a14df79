// A swift-log handler that keeps every record, so tests can check what the library logs and at
// which level without bootstrapping the process-wide logging system.
import Logging
import Synchronization

/// One logged line.
struct LogRecord: Sendable {
    let label: String
    let level: Logger.Level
    let message: String
    let metadata: [String: String]
}

/// Keeps the records of every logger made with ``logger(label:)``; everything down to `trace`.
final class LogCapture: Sendable {
    private let state = Mutex<[LogRecord]>([])

    var records: [LogRecord] { state.withLock { $0 } }

    /// A logger writing here, as an application would pass it in the configuration.
    func logger(label: String) -> Logger {
        Logger(label: label) { label in Handler(label: label, capture: self) }
    }

    fileprivate func append(_ record: LogRecord) { state.withLock { $0.append(record) } }

    private struct Handler: LogHandler {
        let label: String
        let capture: LogCapture
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append(
                LogRecord(
                    label: label, level: event.level, message: "\(event.message)",
                    metadata: merged.mapValues { "\($0)" }))
        }
    }
}
