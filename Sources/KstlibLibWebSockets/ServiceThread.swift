// One libwebsockets context and the one thread allowed to call into it.
import Foundation
import Synchronization
// Package: ``createContext(_:)`` takes libwebsockets' creation info; the shim's module re-exports
// libwebsockets' declarations, and Swift attributes them to it.
package import CLWSShim

/// A libwebsockets context, the thread that creates, services and destroys it, and the queue
/// through which other threads reach that thread. The client's event loop and the embedded
/// server both run on one.
///
/// libwebsockets is single-threaded: every call except `lws_cancel_service` must come from the
/// thread that runs `lws_service`. Other threads ``submit(_:)`` work, which wakes the service
/// thread with `lws_cancel_service`; libwebsockets then reports `LWS_CALLBACK_EVENT_WAIT_CANCELLED`
/// on that thread, where the owner calls ``takeWork()``.
///
/// `@unchecked Sendable`: the cross-thread state lives in `mailbox` (a mutex) and `thread` (an
/// atomic); `context`, `isInServicePass` and `drainedInPass` are touched only on the service
/// thread.
package final class ServiceThread<Work: Sendable>: @unchecked Sendable {
    private struct Mailbox {
        var items: [Work] = []
        /// The live context, from ``open(_:)`` until ``close()``: `lws_cancel_service` on a
        /// destroyed context is a use-after-free.
        var context: ContextHandle?
        var accepting = false
        /// Threads between taking `context` and finishing their `lws_cancel_service`; the
        /// context is not destroyed while any remain.
        var wakers = 0
    }

    private let name: String
    private let stackSize: Int?
    private let mailbox = Mutex(Mailbox())
    /// The service thread's id while it runs, 0 before and after (an ended thread's id may be
    /// given to another thread).
    private let thread = Atomic<UInt>(0)

    /// The context, between ``createContext(_:)`` and ``destroyContext()`` (service thread).
    package private(set) var context: OpaquePointer?
    /// Inside `lws_service`: libwebsockets may be parsing, so some requests must wait.
    package private(set) var isInServicePass = false
    /// Work was taken in this pass: libwebsockets reports a wake-up to every protocol of every
    /// vhost, and only the first report takes the queue (work submitted after it wakes the next
    /// pass, as work submitted from the owner's own callbacks must).
    private var drainedInPass = false

    /// `name` names the thread (seen in `top -H` and debuggers); `stackSize` nil keeps the
    /// platform's default.
    package init(name: String, stackSize: Int? = nil) {
        self.name = name
        self.stackSize = stackSize
    }

    /// Starts the thread, which runs `body` and exits when it returns. `body` creates the
    /// context, serves it and destroys it with the service-thread methods below.
    package func start(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            lwss_name_thread(name)
            self.thread.store(UInt(pthread_self()), ordering: .releasing)
            body()
            self.thread.store(0, ordering: .releasing)
        }
        thread.name = name
        if let stackSize { thread.stackSize = stackSize }
        thread.start()
    }

    /// Whether the caller is the service thread (false once it has ended).
    package var isCurrent: Bool {
        let service = thread.load(ordering: .acquiring)
        return service != 0 && pthread_equal(pthread_self(), pthread_t(service)) != 0
    }

    // MARK: Any thread

    /// Hands `work` to the service thread and wakes it. Returns `false`, dropping `work`, before
    /// ``open(_:)`` and from ``refuseWork()`` or ``close()`` on.
    @discardableResult
    package func submit(_ work: Work) -> Bool {
        let (accepted, wake) = mailbox.withLock { mailbox -> (Bool, ContextHandle?) in
            guard mailbox.accepting, let context = mailbox.context else { return (false, nil) }
            let wasEmpty = mailbox.items.isEmpty
            mailbox.items.append(work)
            // Only an empty-to-non-empty transition needs a wake-up: a non-empty queue is
            // already going to be taken.
            guard wasEmpty else { return (true, nil) }
            mailbox.wakers += 1
            return (true, context)
        }
        // Woken outside the lock: on one core the woken thread would otherwise preempt us and
        // spin on the lock it needs to take the queue.
        if let wake { cancelService(wake) }
        return accepted
    }

    /// Whether ``submit(_:)`` would take work now.
    package var isAccepting: Bool { mailbox.withLock { $0.accepting } }

    /// Ends the service thread's current or next wait, so it runs a pass (a no-op once the
    /// context is closed).
    package func wake() {
        let wake = mailbox.withLock { mailbox -> ContextHandle? in
            guard let context = mailbox.context else { return nil }
            mailbox.wakers += 1
            return context
        }
        if let wake { cancelService(wake) }
    }

    /// From now on ``submit(_:)`` refuses work; what is queued is still taken.
    package func refuseWork() {
        mailbox.withLock { $0.accepting = false }
    }

    private func cancelService(_ handle: ContextHandle) {
        lws_cancel_service(handle.pointer)
        mailbox.withLock { $0.wakers -= 1 }
    }

    // MARK: Service thread

    /// Creates the context (every context of the process is created and destroyed under one
    /// lock: libwebsockets counts its OpenSSL users in a plain integer).
    package func createContext(_ info: inout lws_context_creation_info) -> OpaquePointer? {
        context = lwss_create_context(&info)
        return context
    }

    /// Starts taking work for the context created last.
    package func open() {
        guard let context else { return }
        mailbox.withLock {
            $0.context = ContextHandle(pointer: context)
            $0.accepting = true
        }
    }

    /// One `lws_service` pass: returns when an event or a wake-up has been handled. A negative
    /// result means the context cannot be serviced any more.
    @discardableResult
    package func servicePass() -> Int32 {
        guard let context else { return -1 }
        isInServicePass = true
        drainedInPass = false
        defer { isInServicePass = false }
        return lws_service(context, 0)
    }

    /// The queued work, once per pass (empty after the first call of a pass).
    package func takeWork() -> [Work] {
        guard !drainedInPass else { return [] }
        drainedInPass = true
        return mailbox.withLock { mailbox in
            defer { mailbox.items.removeAll(keepingCapacity: true) }
            return mailbox.items
        }
    }

    /// Stops taking work and returns what was queued and never taken; once it returns, no other
    /// thread is inside `lws_cancel_service` and none will enter it.
    package func close() -> [Work] {
        let leftovers = mailbox.withLock { mailbox -> [Work] in
            mailbox.accepting = false
            mailbox.context = nil
            defer { mailbox.items = [] }
            return mailbox.items
        }
        while mailbox.withLock({ $0.wakers }) > 0 { sched_yield() }
        return leftovers
    }

    /// Destroys the context; libwebsockets calls back for what is still open, on this thread,
    /// before this returns. Closes the queue first if ``close()`` was not called.
    package func destroyContext() {
        guard let context else { return }
        _ = close()
        self.context = nil
        lwss_destroy_context(context)
    }
}

/// The context pointer, as the queue stores it.
///
/// `@unchecked Sendable`: other threads use it only for `lws_cancel_service`, and only after
/// taking it under the queue's lock, which also counts them until their call returns; the
/// service thread clears it under that lock and waits for the count to drop to zero before
/// destroying the context.
private struct ContextHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}
