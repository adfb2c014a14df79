// The process's one libwebsockets client context and the thread that services it.
import Foundation
import KstlibLibWebSockets
import Synchronization

/// One libwebsockets context with one service thread, shared by every connection.
///
/// A thousand managers must not mean a thousand threads. Every libwebsockets call happens on the
/// service thread (``ServiceThread``); other threads hand it ``Work``, which it runs when
/// libwebsockets reports the wake-up (``drain()``).
///
/// `@unchecked Sendable`: the mutable state below is touched only on the service thread (from
/// `run()` and from callbacks, which libwebsockets makes on that thread); the cross-thread state
/// lives in `service`'s queue.
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

    private let service = ServiceThread<Work>(name: "kstlib-ws-loop", stackSize: 1 << 20)
    private let ready = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    // Service-thread state.
    private var live: [ObjectIdentifier: LWSConnection] = [:]
    /// Jobs to run once the current service pass is over (see ``atEndOfPass(_:)``).
    private var endOfPass: [@Sendable () -> Void] = []
    /// Connections with a pong-guard step for the end of the pass (see ``atPassEnd(_:)``).
    private var passEndConnections: [LWSConnection] = []
    /// Inside `lws_service`: libwebsockets may be parsing, so WRITEABLE requests wait.
    var isInServicePass: Bool { service.isInServicePass }
    /// Swift jobs that run on this thread (the loop as a `TaskExecutor`), between passes.
    var runnable: [UnownedJob] = []
    /// Set while Swift jobs run on this thread (see ``submit(_:)``).
    var runningExecutorJobs = false
    private var stopDeadline: ContinuousClock.Instant?
    let tables = ContextTables()
    private lazy var vhosts = VhostRegistry(tables: tables)

    /// Number of connections the loop currently owns (service-thread view, for tests).
    private let liveCount = Atomic<Int>(0)
    var connectionCount: Int { liveCount.load(ordering: .relaxed) }

    init() {
        service.start { [self] in run() }
        ready.wait()
    }

    /// Hands `work` to the service thread. Returns `false` when the loop has stopped.
    @discardableResult
    func submit(_ work: Work) -> Bool {
        // The thread first: `runningExecutorJobs` is service-thread state, never read elsewhere.
        if isServiceThread, runningExecutorJobs, service.context != nil {
            // A task running on the loop as its executor: no queue, no wake-up; the work runs
            // once the current job is over, outside any libwebsockets callback. (Submissions
            // from the loop's own callbacks keep the queue's one-pass delay, which backpressure
            // relies on.)
            guard service.isAccepting else { return false }
            endOfPass.append { [self] in
                if let context = service.context { perform(work, context: context) }
            }
            return true
        }
        return service.submit(work)
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
        let effects = LibWebSocketsRuntime.processEffects
        if effects.routesLibWebSocketsLog { _ = LogBridge.install }
        if effects.raisesDescriptorLimit { FileDescriptorLimit.adjustSoftLimit() }
        // Unretained: `self` outlives the context, which is destroyed at the end of this method.
        var info = tables.contextInfo(user: Unmanaged.passUnretained(self).toOpaque())
        if let created = service.createContext(&info), case .failure = vhosts.vhost(for: .standard, context: created) {
            service.destroyContext()
        }
        service.open()
        if service.context != nil {
            // One pass at once (woken, so it does not wait): libwebsockets asks for the service
            // thread's id on its first pass, which tells whether the pong guard can work.
            service.wake()
            service.servicePass()
            PongGuardCapability.firstPassEnded()
        }
        ready.signal()
        guard service.context != nil else {
            finished.signal()
            return
        }
        while true {
            service.servicePass()
            runEndOfPassJobs()
            if let deadline = stopDeadline, live.isEmpty || ContinuousClock.now >= deadline { break }
        }
        for work in service.close() {
            switch work {
            case .open(let connection): connection.failToStart("the event loop has stopped")
            // A task that chose the loop as its executor must still run to its end.
            case .run(let job): runElsewhere(job)
            case .write, .abort, .resumeReading, .stop: break
            }
        }
        runEndOfPassJobs()
        // Destroy fires the remaining connections' close callbacks synchronously, here.
        service.destroyContext()
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
    var isServiceThread: Bool { service.isCurrent }

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

    /// Runs queued work; called when libwebsockets reports a wake-up (once per pass).
    func drain(context: OpaquePointer) {
        for item in service.takeWork() { perform(item, context: context) }
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
        service.refuseWork()
        stopDeadline = .now + grace
        for connection in live.values { connection.closeForShutdown() }
        // lws_service blocks until the next event: make sure one comes at the deadline.
        DispatchQueue.global().asyncAfter(deadline: .now() + grace.timeInterval) { [self] in service.wake() }
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
