// The last messages delivered, so a rotation's new connection that repeats them is seen as behind.

/// A ring of the last messages handed to the application outside a rotation.
///
/// A server often replays its last few messages to a new subscriber. A rotation's merger that
/// knew only what was delivered since the rotation started would hold such repeats as new
/// messages and, with no overlap found, deliver them twice. Kept only under gapless rotation;
/// writing a slot allocates nothing once the ring is full.
struct RecentMessages: Sendable {
    private var ring: [WebSocketMessage] = []
    private var next = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        ring.reserveCapacity(capacity)
    }

    mutating func append(_ message: WebSocketMessage) {
        guard capacity > 0 else { return }
        if ring.count < capacity {
            ring.append(message)
        } else {
            ring[next] = message
            next = (next + 1) % capacity
        }
    }

    /// Remembers a batch in order; nothing at all when the capacity is 0 (no gapless rotation).
    mutating func append(contentsOf messages: [WebSocketMessage]) {
        guard capacity > 0 else { return }
        for message in messages.suffix(capacity) { append(message) }
    }

    /// The messages kept, oldest first.
    var messages: [WebSocketMessage] { Array(ring[next...] + ring[..<next]) }
}
