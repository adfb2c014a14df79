// A bare libwebsockets context on a ServiceThread, recording what its service thread is given.
import CLibWebSockets
import CLWSShim
import Foundation
import KstlibLibWebSockets
import Synchronization

/// Runs a context with one protocol and no listener on a ``ServiceThread`` and records every
/// piece of work the thread takes, with the pass it was taken in.
///
/// `@unchecked Sendable`: `passes`, `stopAfterPass` and `leftovers` are written on the service
/// thread only (`leftovers` read after `finished`); the rest is locked, atomic or immutable.
final class ServiceHarness: @unchecked Sendable {
    enum Work: Sendable {
        case value(thread: Int, index: Int)
        /// Blocks the service thread, inside the callback, until `release` is signalled; the
        /// loop then leaves after this pass.
        case holdThenStop(release: DispatchSemaphore, holding: DispatchSemaphore)
        /// The same, and the loop goes on.
        case hold(release: DispatchSemaphore, holding: DispatchSemaphore)
    }

    struct Taken: Sendable {
        let thread: Int
        let index: Int
        let pass: Int
    }

    let service = ServiceThread<Work>(name: "kstlib-test-service")
    let taken = Mutex<[Taken]>([])
    /// Wake-up reports, and the ones whose `takeWork()` returned something.
    let wakeReports = Atomic<Int>(0)
    let nonEmptyTakesInOnePass = Atomic<Int>(0)
    let passCount = Atomic<Int>(0)
    let calledOnServiceThread = Atomic<Bool>(true)
    private var takesThisPass = 0
    private var stopAfterPass = false
    private(set) var leftovers: [Work] = []
    private let protocols: UnsafeMutablePointer<lws_protocols>
    /// Two protocols, as the client has: libwebsockets reports a wake-up to each.
    private let names = [strdup("kstlib-test")!, strdup("kstlib-test-second")!]
    private let started = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let startedContext = Atomic<Bool>(false)
    private let stopRequested = Atomic<Bool>(false)
    /// Ends a harness started with a closed queue.
    let endUnopened = DispatchSemaphore(value: 0)

    init() {
        protocols = .allocate(capacity: names.count + 1)
        protocols.initialize(repeating: lws_protocols(), count: names.count + 1)
        for (index, name) in names.enumerated() {
            protocols[index].name = UnsafePointer(name)
            protocols[index].callback = serviceHarnessCallback
        }
    }

    deinit {
        protocols.deallocate()
        for name in names { free(name) }
    }

    /// Starts the thread; `openQueue: false` keeps the queue closed (for the test of that).
    func start(openQueue: Bool = true) -> Bool {
        service.start { [self] in run(openQueue: openQueue) }
        return started.wait(timeout: .now() + 10) == .success && startedContext.load(ordering: .relaxed)
    }

    /// Waits for the thread to end (it ends after a `holdThenStop`).
    func waitForEnd(seconds: Double = 10) -> Bool {
        finished.wait(timeout: .now() + seconds) == .success
    }

    /// Ends the loop after its next pass, which this wakes (works with the queue refusing work).
    func endByClosing() {
        stopRequested.store(true, ordering: .relaxed)
        service.wake()
    }

    private func run(openQueue: Bool) {
        var info = lws_context_creation_info()
        info.port = CONTEXT_PORT_NO_LISTEN
        info.protocols = UnsafePointer(protocols)
        info.user = Unmanaged.passUnretained(self).toOpaque()
        guard service.createContext(&info) != nil else {
            started.signal()
            finished.signal()
            return
        }
        if openQueue { service.open() }
        startedContext.store(true, ordering: .relaxed)
        started.signal()
        if openQueue {
            while !stopAfterPass && !stopRequested.load(ordering: .relaxed) {
                takesThisPass = 0
                if service.servicePass() < 0 { break }
                passCount.add(1, ordering: .relaxed)
            }
        } else {
            // Nothing can wake a pass while the queue is closed: wait for the test instead.
            _ = endUnopened.wait(timeout: .now() + 10)
        }
        leftovers = service.close()
        service.destroyContext()
        finished.signal()
    }

    /// The wake-up report (service thread).
    fileprivate func wokenUp() {
        wakeReports.add(1, ordering: .relaxed)
        if !service.isCurrent { calledOnServiceThread.store(false, ordering: .relaxed) }
        let work = service.takeWork()
        guard !work.isEmpty else { return }
        takesThisPass += 1
        if takesThisPass > 1 { nonEmptyTakesInOnePass.add(1, ordering: .relaxed) }
        let pass = passCount.load(ordering: .relaxed)
        for item in work {
            switch item {
            case .value(let thread, let index):
                taken.withLock { $0.append(Taken(thread: thread, index: index, pass: pass)) }
            case .holdThenStop(let release, let holding):
                holding.signal()
                release.wait()
                stopAfterPass = true
            case .hold(let release, let holding):
                holding.signal()
                release.wait()
            }
        }
    }
}

/// The harness's callback: only the wake-up report matters.
private func serviceHarnessCallback(
    _ wsi: OpaquePointer?, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
    _ input: UnsafeMutableRawPointer?, _ length: Int
) -> Int32 {
    guard reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED, let wsi, let context = lws_get_context(wsi),
        let raw = lws_context_user(context)
    else { return 0 }
    Unmanaged<ServiceHarness>.fromOpaque(raw).takeUnretainedValue().wokenUp()
    return 0
}
