// PushBehavior: /push, a sender for throughput benchmarks.

/// Sends `count` messages of `size` bytes as fast as the client reads them, then closes with
/// 1000. Every message is the same preallocated buffer (with the frame-header headroom), so
/// pushing costs one libwebsockets write per message and no allocation.
final class PushBehavior: ConnectionBehavior {
    /// Messages up to this size go out as a single frame; larger ones are fragmented.
    static let frameLimit = 64 << 10

    private let payload: PayloadBuffer
    private let isBinary: Bool
    private var remaining: Int

    init(options: PushOptions) {
        remaining = options.count
        isBinary = options.binary
        payload = PayloadBuffer(capacity: options.size)
        if options.binary {
            payload.resize(to: options.size) { UInt8(truncatingIfNeeded: $0) }
        } else {
            let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
            payload.resize(to: options.size) { letters[$0 % letters.count] }
        }
    }

    func didOpen(_ connection: ServerConnection) {
        connection.requestWriteable()
    }

    func refill(_ connection: ServerConnection) -> Bool {
        guard remaining > 0 else {
            connection.close(code: 1000, reason: "", afterQueued: true)
            return false
        }
        remaining -= 1
        connection.send(payload, isBinary: isBinary, frameLimit: Self.frameLimit)
        return true
    }
}
