// ContextTimer: a libwebsockets sorted-usec-list (sul) timer on a context, not on a connection.
//
// lws calls a sul back with nothing but the sul's address, so a pointer to this object is stored
// right behind the `lws_sorted_usec_list_t` in the same allocation. The allocation has a stable
// address, as lws requires, and is unlinked before it is freed.
internal import CLibWebSockets
internal import CLWSShim

/// A one-shot timer on a context, re-armed with `schedule` after each firing. Service thread only.
final class ContextTimer {
    /// Where the pointer to this object sits, behind the sul.
    fileprivate static let selfOffset = MemoryLayout<lws_sorted_usec_list_t>.stride
    private static let alignment = max(
        MemoryLayout<lws_sorted_usec_list_t>.alignment, MemoryLayout<UnsafeRawPointer>.alignment)

    private let block: UnsafeMutableRawPointer
    /// What to do when the timer fires (runs inside lws_service).
    fileprivate let fired: () -> Void
    /// The context it was last scheduled on (libwebsockets 4.0 cancels through it).
    private var context: OpaquePointer?
    private var sul: UnsafeMutablePointer<lws_sorted_usec_list_t> {
        block.assumingMemoryBound(to: lws_sorted_usec_list_t.self)
    }

    /// `fired` is kept for the life of the timer: capture its owner unowned.
    init(fired: @escaping () -> Void) {
        self.fired = fired
        block = .allocate(byteCount: Self.selfOffset + MemoryLayout<UnsafeRawPointer>.size, alignment: Self.alignment)
        // lws expects a zeroed sul before its first scheduling (its list links must be empty).
        block.bindMemory(to: lws_sorted_usec_list_t.self, capacity: 1).initialize(to: lws_sorted_usec_list_t())
        // Unretained: deinit unlinks the sul, so lws never calls back into a freed timer.
        block.storeBytes(
            of: UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque()), toByteOffset: Self.selfOffset,
            as: UnsafeRawPointer.self)
    }

    deinit {
        cancel()
        sul.deinitialize(count: 1)
        block.deallocate()
    }

    /// (Re)schedules the callback `microseconds` from now on `context`, the server's context.
    func schedule(on context: OpaquePointer, microseconds: Int64) {
        self.context = context
        lws_sul_schedule(context, 0, sul, contextTimerCallback, lws_usec_t(microseconds))
    }

    /// Unlinks the timer if it is scheduled.
    func cancel() {
        if let context { lwss_sul_cancel(context, sul) }
    }
}

/// The sul callback: runs on the service thread, inside lws_service.
private func contextTimerCallback(_ sul: UnsafeMutablePointer<lws_sorted_usec_list_t>?) {
    guard let sul else { return }
    let timer = UnsafeRawPointer(sul).load(fromByteOffset: ContextTimer.selfOffset, as: UnsafeRawPointer.self)
    // Unretained is safe: a scheduled timer is alive (deinit unlinks it).
    Unmanaged<ContextTimer>.fromOpaque(timer).takeUnretainedValue().fired()
}
