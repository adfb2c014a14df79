// Which libwebsockets the process runs on, and which of our guarantees hold on it.
import Logging
import Synchronization

/// The libwebsockets library this process loaded, and what the library can promise on it.
///
/// Every guarantee is kept without reading libwebsockets' log lines, so Debian-style builds (INFO
/// logs and asserts compiled in) and CMake `Release` builds behave the same. One guarantee rests
/// on a libwebsockets behaviour that is not a documented promise and is therefore checked at run
/// time: ``pingReplies``.
public struct LibWebSocketsRuntime: Sendable, Equatable {
    /// How pings from the server are answered.
    public struct PingReplies: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// One pong for every ping, in order, even for pings that arrive together.
        public static let everyPing = PingReplies(name: "everyPing")
        /// Not known: the library could not start an event loop.
        public static let notYetChecked = PingReplies(name: "notYetChecked")
        /// libwebsockets' own behaviour: a ping that arrives while the previous pong is still
        /// pending gets no pong of its own. Seen only where libwebsockets does not report poll
        /// changes (none of 4.0 to 5.0 is such a build).
        public static let oneAtATime = PingReplies(name: "oneAtATime")
        /// The value's name.
        public var description: String { name }
    }

    /// The version string of the loaded library, such as `4.3.5` or `4.5.8-unknown`.
    public let version: String
    /// The version of the headers this package was compiled against.
    public let compiledVersion: String
    /// Why this library cannot be used (a major.minor other than the headers'), or nil.
    public let incompatibility: String?
    /// How pings are answered on this library.
    public let pingReplies: PingReplies
    /// Whether libwebsockets itself keeps every response header of a refused upgrade: it lists the
    /// headers it has no token for (such as `X-Reject-Reason`) from 4.3; before, only the ~100
    /// common headers it knows by name. The others still reach ``WebSocketHandshakeFailure/headers``
    /// when the upgrade is replayed (``WebSocketConfiguration/rejectedUpgradeReplay``).
    public let keepsEveryResponseHeader: Bool
    /// Protocol violations by the server are reported as ``WebSocketProtocolError`` with a 1002
    /// close on every supported version and build (the check does not depend on logs).
    public let reportsProtocolViolations: Bool

    /// What this process runs on. Reading it starts the process's event loop if no connection
    /// has yet: ``pingReplies`` is learnt when libwebsockets first services its context.
    public static var current: LibWebSocketsRuntime {
        if PongGuardCapability.verdict == nil { _ = EventLoop.shared }
        let loaded = LWSLibrary.loadedVersion
        let compiled = LWSLibrary.compiledVersion
        let replies: PingReplies =
            switch PongGuardCapability.verdict {
            case true?: .everyPing
            case false?: .oneAtATime
            case nil: .notYetChecked
            }
        return LibWebSocketsRuntime(
            version: loaded, compiledVersion: compiled,
            incompatibility: incompatibility(loaded: loaded, compiled: compiled), pingReplies: replies,
            keepsEveryResponseHeader: LWSLibrary.listsCustomHeaders, reportsProtocolViolations: true)
    }

    /// The oldest libwebsockets the library is verified on. 4.0 builds, but its keepalive pongs
    /// never reach the client callback and its permessage-deflate fails the tests.
    static let oldestSupported = (major: 4, minor: 1)

    /// Why connections are refused on this library, or nil. A library whose major.minor differs
    /// from the headers' has other struct layouts and another write headroom (using it would corrupt
    /// memory); one older than ``oldestSupported`` breaks guarantees the library makes.
    static func incompatibility(loaded: String, compiled: String) -> String? {
        func majorMinor(_ version: String) -> [Int] {
            Array(version.split(whereSeparator: { !$0.isNumber }).prefix(2)).compactMap { Int($0) }
        }
        let version = majorMinor(loaded)
        if version != majorMinor(compiled) {
            return "libwebsockets \(loaded) is loaded, but kstlib was compiled against the headers of "
                + "\(compiled): rebuild against the installed libwebsockets"
        }
        if version.lexicographicallyPrecedes([oldestSupported.major, oldestSupported.minor]) {
            return "libwebsockets \(loaded) is older than \(oldestSupported.major).\(oldestSupported.minor), "
                + "the oldest version kstlib supports: install 4.1 or later"
        }
        return nil
    }

    private static let logger = Logger(label: "kstlib.websocket.runtime")
    private static let noticed = Atomic<Bool>(false)

    /// Says once per process, at notice level, that a guarantee does not hold on this library.
    static func noticeDegraded(_ message: String) {
        guard !noticed.exchange(true, ordering: .relaxed) else { return }
        logger.notice("\(message)")
    }
}
