// The process's one libwebsockets client context and the thread that services it.
internal import CLibWebSockets
internal import CLWSShim
import Foundation
import Synchronization

/// One libwebsockets context with one service thread, shared by every connection.
///
/// A thousand managers must not mean a thousand threads. Every `lws_*` call happens on the
/// service thread; other threads hand it ``Work`` through a locked queue and wake it with
/// `lws_cancel_service`, the only libwebsockets call that is safe from another thread.
///
/// `@unchecked Sendable`: the mutable state below the `work` mutex is touched only on the
/// service thread (from `run()` and from callbacks, which libwebsockets makes on that thread);
/// the cross-thread state lives inside `work`.
final class EventLoop: @unchecked Sendable {
    /// The loop every manager uses unless told otherwise; started on first use.
    static let shared = EventLoop()

    /// What other threads ask the service thread to do.
    enum Work {
        case open(LWSConnection)
        case write(LWSConnection)
        case abort(LWSConnection)
        case resumeReading(LWSConnection)
        case stop(grace: Duration)
        /// A Swift job for the loop as a task executor (`EventLoop+TaskExecutor.swift`).
        case run(UnownedJob)
    }

    private struct Queue {
        var items: [Work] = []
        /// The live context, or nil before start and from the moment destruction begins:
        /// `lws_cancel_service` is a use-after-free once the context is gone.
        var context: ContextHandle?
        var accepting = true
        /// Threads between taking `context` and finishing their `lws_cancel_service`; the
        /// context is not destroyed while any remain.
        var wakers = 0
    }

    private let queue = Mutex(Queue())
    private let ready = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    // Service-thread state.
    private var live: [ObjectIdentifier: LWSConnection] = [:]
    /// Jobs to run once the current service pass is over (see ``atEndOfPass(_:)``).
    private var endOfPass: [@Sendable () -> Void] = []
    /// Connections with a pong-guard step for the end of the pass (see ``atPassEnd(_:)``).
    private var passEndConnections: [LWSConnection] = []
    /// Inside `lws_service`: libwebsockets may be parsing, so WRITEABLE requests wait.
    private(set) var isInServicePass = false
    /// The queue was drained in this pass: libwebsockets reports the wake-up to every protocol
    /// of every vhost, and only the first report drains (work submitted after it wakes the next
    /// pass, as work submitted from the loop's own callbacks must).
    private var drainedInPass = false
    /// Swift jobs that run on this thread (the loop as a `TaskExecutor`), between passes.
    var runnable: [UnownedJob] = []
    /// Set while Swift jobs run on this thread (see ``submit(_:)``).
    var runningExecutorJobs = false
    /// The live context, for work submitted on the service thread itself.
    private var serviceContext: OpaquePointer?
    /// The service thread, set before `init` returns and never changed.
    nonisolated(unsafe) private var serviceThread: pthread_t = 0
    private var stopDeadline: ContinuousClock.Instant?
    private let tables = ContextTables()
    private lazy var vhosts = VhostRegistry(tables: tables)

    /// The name a client connection binds to (`local_protocol_name`), which sets its read size.
    func protocolName(compressionOffered: Bool) -> UnsafePointer<CChar> {
        compressionOffered ? tables.inflatingProtocolName : tables.protocolName
    }
    /// A zeroed retry/idle policy: `secs_since_valid_hangup == 0` turns off libwebsockets' own
    /// keepalive so ours can report a distinct ping timeout and send a proper close.
    var idlePolicy: UnsafePointer<lws_retry_bo_t> { UnsafePointer(tables.idlePolicy) }

    /// Number of connections the loop currently owns (service-thread view, for tests).
    private let liveCount = Atomic<Int>(0)
    var connectionCount: Int { liveCount.load(ordering: .relaxed) }

    init() {
        let thread = Thread { [self] in run() }
        thread.name = "kstlib-ws-loop"
        thread.stackSize = 1 << 20
        thread.start()
        ready.wait()
    }

    /// Hands `work` to the service thread. Returns `false` when the loop has stopped.
    @discardableResult
    func submit(_ work: Work) -> Bool {
        // The thread first: `runningExecutorJobs` is service-thread state, never read elsewhere.
        if isServiceThread, runningExecutorJobs, serviceContext != nil {
            // A task running on the loop as its executor: no queue, no wake-up; the work runs
            // once the current job is over, outside any libwebsockets callback. (Submissions
            // from the loop's own callbacks keep the queue's one-pass delay, which backpressure
            // relies on.)
            guard queue.withLock({ $0.accepting }) else { return false }
            endOfPass.append { [self] in
                if let context = serviceContext { perform(work, context: context) }
            }
            return true
        }
        let (accepted, wake) = queue.withLock { queue -> (Bool, ContextHandle?) in
            guard queue.accepting, let context = queue.context else { return (false, nil) }
            let wasEmpty = queue.items.isEmpty
            queue.items.append(work)
            // Only an empty-to-non-empty transition needs a wake-up: a non-empty queue is
            // already going to be drained.
            guard wasEmpty else { return (true, nil) }
            queue.wakers += 1
            return (true, context)
        }
        // Woken outside the lock: on one core the woken loop would otherwise preempt us and spin
        // on the lock it needs to drain the queue.
        if let wake {
            lws_cancel_service(wake.pointer)
            queue.withLock { $0.wakers -= 1 }
        }
        return accepted
    }

    /// Closes every connection (close frame 1001 where established), waits up to `grace` for
    /// them to finish, then destroys the context. Blocks until the thread has exited.
    /// From the service thread itself (a task running on the loop as its executor) it only
    /// starts the stop: waiting there would wait for itself.
    func shutdown(grace: Duration = .seconds(1)) {
        if submit(.stop(grace: grace)) && !isServiceThread { finished.wait() }
    }

    // MARK: Service thread

    private func run() {
        lwss_name_thread("kstlib-ws-loop")
        serviceThread = pthread_self()
        let effects = LibWebSocketsRuntime.processEffects
        if effects.routesLibWebSocketsLog { _ = LogBridge.install }
        if effects.raisesDescriptorLimit { FileDescriptorLimit.raise() }
        var info = lws_context_creation_info()
        info.port = CONTEXT_PORT_NO_LISTEN
        info.protocols = UnsafePointer(tables.protocols)
        info.extensions = UnsafePointer(tables.extensions)
        // Vhosts are ours to create: one per trust store / client identity / proxy.
        info.options =
            UInt64(LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT) | UInt64(LWS_SERVER_OPTION_JUST_USE_RAW_ORIGIN)
            | UInt64(LWS_SERVER_OPTION_EXPLICIT_VHOSTS)
        info.pt_serv_buf_size = UInt32(ContextTables.serviceBufferSize)
        // Our own timers govern connects; these are only backstops.
        info.timeout_secs = 120
        lwss_set_connect_timeout(&info, 120)
        info.fd_limit_per_thread = UInt32(FileDescriptorLimit.current)
        // Unretained: `self` outlives the context, which is destroyed at the end of this method.
        info.user = Unmanaged.passUnretained(self).toOpaque()
        var context = lwss_create_context(&info)
        if let created = context, case .failure = vhosts.vhost(for: .standard, context: created) {
            lwss_destroy_context(created)
            context = nil
        }
        let handle = context.map(ContextHandle.init)
        queue.withLock {
            $0.context = handle
            $0.accepting = handle != nil
        }
        if let context {
            // One pass at once (cancelled, so it does not wait): libwebsockets asks for the
            // service thread's id on its first pass, which tells whether the pong guard can work.
            lws_cancel_service(context)
            isInServicePass = true
            drainedInPass = false
            lws_service(context, 0)
            isInServicePass = false
            PongGuardCapability.firstPassEnded()
        }
        ready.signal()
        guard let context else {
            finished.signal()
            return
        }
        serviceContext = context
        while true {
            isInServicePass = true
            drainedInPass = false
            lws_service(context, 0)
            isInServicePass = false
            runEndOfPassJobs()
            if let deadline = stopDeadline, live.isEmpty || ContinuousClock.now >= deadline { break }
        }
        let leftovers = queue.withLock { queue -> [Work] in
            queue.accepting = false
            queue.context = nil
            defer { queue.items = [] }
            return queue.items
        }
        // A wake-up already under way must finish before the context goes.
        while queue.withLock({ $0.wakers }) > 0 { sched_yield() }
        for case .open(let connection) in leftovers { connection.failToStart("the event loop has stopped") }
        runEndOfPassJobs()
        // Destroy fires the remaining connections' close callbacks synchronously, here.
        serviceContext = nil
        lwss_destroy_context(context)
        runEndOfPassJobs()
        finished.signal()
    }

    /// Runs `job` after the current service pass when called on the service thread (where it
    /// batches per-message work into one per pass), or at once from any other thread.
    func atEndOfPass(_ job: @escaping @Sendable () -> Void) {
        if isServiceThread {
            endOfPass.append(job)
        } else {
            job()
        }
    }

    /// Runs `connection.servicePassEnded()` after the current pass (service thread, inside a
    /// pass; see ``PongGuardState``), once however often it is asked.
    func atPassEnd(_ connection: LWSConnection) {
        guard !connection.pongGuard.onPassEndList else { return }
        connection.pongGuard.onPassEndList = true
        passEndConnections.append(connection)
    }

    /// Whether the caller is the service thread.
    var isServiceThread: Bool { pthread_equal(pthread_self(), serviceThread) != 0 }

    /// End-of-pass jobs and executor jobs, until neither adds more (a resumed task may send,
    /// and its send is an end-of-pass job).
    private func runEndOfPassJobs() {
        while !endOfPass.isEmpty || !runnable.isEmpty || !passEndConnections.isEmpty {
            if !passEndConnections.isEmpty {
                let connections = passEndConnections
                passEndConnections.removeAll(keepingCapacity: true)
                for connection in connections {
                    connection.pongGuard.onPassEndList = false
                    connection.servicePassEnded()
                }
            }
            if !endOfPass.isEmpty {
                let jobs = endOfPass
                endOfPass.removeAll(keepingCapacity: true)
                for job in jobs { job() }
            }
            if !runnable.isEmpty { runExecutorJobs() }
        }
    }

    /// Runs queued work; called from `LWS_CALLBACK_EVENT_WAIT_CANCELLED`.
    func drain(context: OpaquePointer) {
        guard !drainedInPass else { return }
        drainedInPass = true
        let items = queue.withLock { queue -> [Work] in
            defer { queue.items.removeAll(keepingCapacity: true) }
            return queue.items
        }
        for item in items { perform(item, context: context) }
    }

    private func perform(_ item: Work, context: OpaquePointer) {
        switch item {
        case .open(let connection): connection.start(on: self, context: context)
        case .write(let connection): connection.requestWritable()
        case .abort(let connection): connection.abortNow()
        case .resumeReading(let connection): connection.resumeNow()
        case .stop(let grace): beginStop(grace: grace)
        case .run(let job): runnable.append(job)
        }
    }

    private func beginStop(grace: Duration) {
        queue.withLock { $0.accepting = false }
        stopDeadline = .now + grace
        for connection in live.values { connection.closeForShutdown() }
        // lws_service blocks until the next event: make sure one comes at the deadline.
        DispatchQueue.global().asyncAfter(deadline: .now() + grace.timeInterval) { [self] in
            queue.withLock { if let context = $0.context?.pointer { lws_cancel_service(context) } }
        }
    }

    /// The vhost a connection with `settings` belongs to (service thread).
    func vhost(for settings: VhostSettings, context: OpaquePointer) -> Result<OpaquePointer, WebSocketHandshakeFailure>
    {
        vhosts.vhost(for: settings, context: context)
    }

    func register(_ connection: LWSConnection) {
        live[ObjectIdentifier(connection)] = connection
        liveCount.store(live.count, ordering: .relaxed)
    }

    func unregister(_ connection: LWSConnection) {
        live[ObjectIdentifier(connection)] = nil
        liveCount.store(live.count, ordering: .relaxed)
    }
}

/// The context pointer, as the queue stores it.
///
/// `@unchecked Sendable`: other threads use it only for `lws_cancel_service`, and only under
/// the queue's lock, which the service thread takes to clear it before destroying the context.
struct ContextHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

extension Duration {
    /// Seconds as a `TimeInterval`, for Dispatch and Foundation APIs.
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }

    /// Whole microseconds, for `lws_set_timer_usecs`.
    var microseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
