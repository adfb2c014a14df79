// PayloadBuffer: message bytes with libwebsockets' frame-header headroom in front of them.
//
// A libwebsockets write needs writable bytes before the payload pointer for the frame header, so
// a buffer that is built with that headroom can be sent without another copy. The same buffer
// type reassembles incoming fragments, which lets /echo send back exactly what it received.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A growable heap buffer whose payload starts `PayloadBuffer.headroom` bytes into the allocation.
/// Used only on the service thread.
final class PayloadBuffer {
    /// The bytes libwebsockets may write in front of the payload.
    static let headroom = ServerWSI.frameHeadroom

    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    /// Payload bytes stored so far.
    private(set) var count = 0

    init(capacity: Int = 0) {
        self.capacity = max(capacity, 64)
        guard let storage = malloc(Self.headroom + self.capacity) else {
            fatalError("PayloadBuffer: out of memory allocating \(capacity) bytes")
        }
        self.storage = storage
    }

    /// A buffer holding the UTF-8 bytes of `text`.
    convenience init(text: String) {
        var text = text
        self.init(capacity: text.utf8.count)
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    deinit {
        free(storage)
    }

    /// The first payload byte; `headroom` writable bytes precede it.
    var payload: UnsafeMutableRawPointer { storage + Self.headroom }

    /// Appends bytes, growing geometrically so reassembling a large message stays linear.
    func append(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(count + bytes.count)
        (payload + count).copyMemory(from: base, byteCount: bytes.count)
        count += bytes.count
    }

    /// Sets the payload length to `newCount`, filling new bytes with `fill(index)`.
    func resize(to newCount: Int, fill: (Int) -> UInt8) {
        reserve(newCount)
        let bytes = payload.assumingMemoryBound(to: UInt8.self)
        for index in count..<max(count, newCount) {
            bytes[index] = fill(index)
        }
        count = newCount
    }

    /// The payload as a read-only view, valid while `self` is alive and unchanged.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: payload, count: count) }

    private func reserve(_ needed: Int) {
        guard needed > capacity else { return }
        var newCapacity = capacity
        while newCapacity < needed { newCapacity *= 2 }
        guard let grown = realloc(storage, Self.headroom + newCapacity) else {
            fatalError("PayloadBuffer: out of memory growing to \(newCapacity) bytes")
        }
        storage = grown
        capacity = newCapacity
    }
}
