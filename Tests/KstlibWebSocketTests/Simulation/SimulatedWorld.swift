// A manager on the in-memory transport, the virtual clock and the simulation thread.
import Logging
import Synchronization
@testable import KstlibWebSocket

/// Everything a deterministic test or a simulated schedule needs: a ``WebSocketManager`` whose
/// transport is in memory, whose clock moves only when told (``ManualClock``), and whose tasks
/// all run on one ``SimulationExecutor``. A test acts (``start(_:)``, a connection's server side,
/// ``advance(by:)``), then ``settle()``s: the manager has then done everything it can do without
/// more time or more input.
final class SimulatedWorld: Sendable {
    let clock = ManualClock()
    let simulation = SimulationExecutor()
    let transport: InMemoryTransport
    /// The callbacks, in the order they ran.
    let events = EventLog<ManagerEvent>()
    private let held: Mutex<WebSocketManager?>
    /// The manager, weakly: `nil` once ``release()`` let go of it and nothing else held it.
    private let weakManager = WeakBox<WebSocketManager>()

    init(url: String = "ws://simulated.test/feed", configuration: WebSocketConfiguration = testConfiguration()) {
        transport = InMemoryTransport(simulation: simulation)
        var config = configuration
        if config.logger == nil {
            // Alerts are checked through onAlert; their log lines would only bury the results.
            var logger = Logger(label: "kstlib.websocket.simulated")
            logger.logLevel = .critical
            config.logger = logger
        }
        // Recorded first, then the test's own callbacks, if any.
        let (onConnect, onDisconnect, onAlert) = (config.onConnect, config.onDisconnect, config.onAlert)
        config.record(into: events)
        let recorded = config
        config.onConnect = {
            try await recorded.onConnect?()
            try await onConnect?()
        }
        config.onDisconnect = {
            try await recorded.onDisconnect?($0)
            try await onDisconnect?($0)
        }
        config.onAlert = {
            try await recorded.onAlert?($0)
            try await onAlert?($0)
        }
        let manager = WebSocketManager(url: url, configuration: config, clock: clock, transport: transport)
        held = Mutex(manager)
        weakManager.value = manager
    }

    /// The manager (until ``release()``).
    var manager: WebSocketManager { held.withLock { $0! } }

    /// Lets go of the manager; ``isManagerFreed`` then tells whether anything kept it alive.
    func release() { held.withLock { $0 = nil } }
    var isManagerFreed: Bool { weakManager.value == nil }

    /// Starts `body` on the simulation thread (a user call); the returned ``Call`` records how it ended.
    @discardableResult
    func start<T: Sendable>(_ name: String = "call", _ body: @escaping @Sendable () async throws -> T) -> Call<T> {
        let call = Call<T>(name)
        Task(executorPreference: simulation) {
            do { call.finish(.success(try await body())) } catch { call.finish(.failure(error)) }
        }
        return call
    }

    /// Waits until the simulation thread has nothing left to run; `false` on a livelock.
    @discardableResult
    func settle() async -> Bool { await simulation.idle() }

    /// Moves the clock on by `duration`, then settles.
    func advance(by duration: Duration) async {
        await settle()
        clock.advance(by: duration)
        await settle()
    }

    /// Moves the clock to the next pending sleep (if any), then settles; returns how far it moved.
    @discardableResult
    func advanceToNextSleep() async -> Duration? {
        await settle()
        guard let next = clock.pendingDelays.first else { return nil }
        clock.advance(by: next)
        await settle()
        return next
    }

    /// Reads the stream on the simulation thread into ``received``; ends with the stream.
    @discardableResult
    func consume() -> Call<Void> {
        let call = start("stream") { [self] in
            for try await message in manager.stream() { received.append(message.text ?? "<binary>") }
        }
        consumer.withLock { $0 = call }
        return call
    }

    private let consumer = Mutex<Call<Void>?>(nil)
    /// The call of ``consume()``, if started.
    var streamCall: Call<Void>? { consumer.withLock { $0 } }

    /// What ``consume()`` read, in order.
    let received = EventLog<String>()

    /// The newest connection, settled.
    var connection: InMemoryConnection { transport.last! }

    /// Ends the world: force-closes the manager if it is still held, ends every sleep on the
    /// clock until none is left, then stops the simulation thread once it has run what that
    /// woke. A test may stop anywhere (a reconnect waiting, a call suspended); without this its
    /// tasks would stay suspended for ever, holding the manager.
    func stop() {
        let manager = held.withLock { $0 }
        simulation.execute { manager?.forceClose() }
        cancelSleeps(rounds: 100)
        simulation.stop()
    }

    /// Cancels the clock's sleeps on the simulation thread, after what is queued, and again
    /// after what that wakes, while either is left (at most `rounds` times).
    private func cancelSleeps(rounds: Int) {
        simulation.execute { [self] in
            let cancelled = clock.cancelSleeps()
            if rounds > 1 && (cancelled > 0 || simulation.hasQueuedItems) { cancelSleeps(rounds: rounds - 1) }
        }
    }
}

/// A user call started in a ``SimulatedWorld``: its result once it returned.
final class Call<Value: Sendable>: Sendable {
    let name: String
    private let state = Mutex<(result: Result<Value, any Error>?, finishes: Int)>((nil, 0))

    init(_ name: String) { self.name = name }

    func finish(_ result: Result<Value, any Error>) {
        state.withLock {
            $0.result = result
            $0.finishes += 1
        }
    }

    /// The result, `nil` while the call is still waiting.
    var result: Result<Value, any Error>? { state.withLock { $0.result } }
    /// How many times the call returned (a waiter resumed twice would show 2).
    var finishes: Int { state.withLock { $0.finishes } }
    var isFinished: Bool { finishes > 0 }
    var value: Value? { try? result?.get() }
    var error: (any Error)? {
        guard case .failure(let error) = result else { return nil }
        return error
    }
}

/// A weak reference that can be shared.
final class WeakBox<Object: AnyObject & Sendable>: Sendable {
    private let state = Mutex<WeakReference?>(nil)
    private struct WeakReference { weak var object: Object? }
    var value: Object? {
        get { state.withLock { $0?.object } }
        set { state.withLock { $0 = WeakReference(object: newValue) } }
    }
}

/// Text messages "first" through "last", as a feed numbers them.
func feed(_ numbers: ClosedRange<Int>) -> [WebSocketMessage] { numbers.map { .text(String($0)) } }
