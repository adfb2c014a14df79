// Routes libwebsockets' own log lines into swift-log.
import Foundation
import Logging

/// Hands libwebsockets' log lines to swift-log under the label `kstlib.websocket.libwebsockets`.
///
/// Quiet by default: only libwebsockets errors are forwarded, at `notice` level (a library's
/// errors are the application's to judge). Set `KSTLIB_LWS_LOG` to a
/// libwebsockets level mask (for example `15` for ERR|WARN|NOTICE|INFO) to see more. Nothing
/// else is enabled: no guarantee of ours reads a log line, and a Release build of libwebsockets
/// has no INFO lines to read. The level is process-wide (libwebsockets keeps one): a host
/// application that sets its own level after us wins.
enum LogBridge {
    static let logger = Logger(label: "kstlib.websocket.libwebsockets")

    /// Installs the hook once, before the first context is created (the level is process-global).
    static let install: Void = {
        let mask = ProcessInfo.processInfo.environment["KSTLIB_LWS_LOG"].flatMap { Int32($0) } ?? 1
        LWSLibrary.installLogHook(forwarding: mask)
    }()

    /// libwebsockets' ERR lines become `notice`: they accompany failures (a refused port, a
    /// certificate) that reach the application as thrown errors, which it alone may call errors.
    static func level(for lwsLevel: Int32) -> Logger.Level {
        switch lwsLevel {
        case 1: return .notice
        case 2: return .warning
        case 4: return .notice
        case 8: return .info
        default: return .debug
        }
    }

    /// One line from the hook, at libwebsockets' level `lwsLevel`.
    static func forward(level lwsLevel: Int32, line: String) {
        var text = line
        while text.last == "\n" || text.last == "\r" { text.removeLast() }
        logger.log(level: level(for: lwsLevel), "\(text)")
    }
}
