// What the library changes for the whole process, and how a host application keeps it.
import Synchronization

extension LibWebSocketsRuntime {
    /// The process-wide changes the shared event loop makes when it starts (with the first
    /// connection). A host application that manages them itself turns them off before that.
    ///
    /// Always, whatever these say: libwebsockets ignores `SIGPIPE` for the process (a write to a
    /// closed socket is an error, not a signal), initialises OpenSSL, and on libwebsockets 4.5
    /// one idle libwebsockets context is kept for the life of the process so that OpenSSL is
    /// never cleaned up under another user of it; the loop runs on one thread named
    /// `kstlib-ws-loop`.
    public struct ProcessEffects: Sendable, Equatable {
        /// Raises the soft `RLIMIT_NOFILE` to the hard limit (at most 2^20), so that one loop can
        /// hold 10,000 connections, and lowers one above 10,000,000 to that (libwebsockets takes
        /// such a limit for a mistake and sizes its table for 2,560). Off: the loop sizes its
        /// descriptor table from the soft limit as it finds it, and connections beyond it fail.
        public var raisesDescriptorLimit = true
        /// Sets libwebsockets' process-wide log hook and level: its errors go to swift-log
        /// (label `kstlib.websocket.libwebsockets`, level `notice`). Off: libwebsockets keeps
        /// the hook and level the process gave it (its own default prints to stderr).
        public var routesLibWebSocketsLog = true

        /// Everything on, as the library has always run.
        public init() {}
    }

    /// Read once, when the shared event loop starts; a change after that does not apply.
    public static var processEffects: ProcessEffects {
        get { processEffectsState.withLock { $0 } }
        set { processEffectsState.withLock { $0 = newValue } }
    }

    private static let processEffectsState = Mutex(ProcessEffects())
}
