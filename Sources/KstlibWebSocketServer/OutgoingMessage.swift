// OutgoingMessage and OutgoingQueue: what a connection still has to send, and how far it got.
//
// A message is sent as one or more frames, one libwebsockets write each, so large messages never sit in
// libwebsockets' unbounded partial-send buffer. The buffer is shared by reference: /push sends
// the same preallocated buffer over and over.

/// One websocket message waiting to be sent (or being sent) on a connection.
struct OutgoingMessage {
    /// The payload, with the frame-header headroom; never modified while queued.
    let buffer: PayloadBuffer
    /// Payload bytes to send from `buffer` (the first `length` bytes).
    let length: Int
    let isBinary: Bool
    /// Largest frame this message is split into.
    let frameLimit: Int
    /// Payload bytes already handed to libwebsockets.
    var sent = 0

    /// Most frames one message is split into: peers cap fragments per message (Python
    /// `websockets` allows 4096), so frames of huge messages grow beyond `frameLimit`.
    static let maxFrames = 1024

    init(buffer: PayloadBuffer, length: Int? = nil, isBinary: Bool, frameLimit: Int) {
        self.buffer = buffer
        self.length = length ?? buffer.count
        self.isBinary = isBinary
        let spread = (self.length + Self.maxFrames - 1) / Self.maxFrames
        self.frameLimit = max(1, frameLimit, spread)
    }

    var remaining: Int { length - sent }
    var isStarted: Bool { sent > 0 }
}

/// A FIFO of messages that counts the bytes it holds (for receive back-pressure).
/// A head index instead of `removeFirst` keeps popping O(1).
struct OutgoingQueue {
    private var items: [OutgoingMessage] = []
    private var head = 0
    /// Payload bytes not yet sent, over all queued messages.
    private(set) var pendingBytes = 0

    var isEmpty: Bool { head == items.count }
    var count: Int { items.count - head }

    mutating func append(_ message: OutgoingMessage) {
        items.append(message)
        pendingBytes += message.remaining
    }

    mutating func popFirst() -> OutgoingMessage? {
        guard head < items.count else { return nil }
        let message = items[head]
        head += 1
        pendingBytes -= message.remaining
        if head == items.count {
            items.removeAll(keepingCapacity: items.count < 1024)
            head = 0
        } else if head >= 1024, head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return message
    }

    mutating func removeAll() {
        items.removeAll()
        head = 0
        pendingBytes = 0
    }
}
