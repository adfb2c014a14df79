// The pool's merged stream.

extension WebSocketPool {
    /// Every message of every shard, each with the shard it came from, across reconnects.
    ///
    /// Messages of one shard come in that shard's order; messages of different shards are
    /// interleaved as they arrive. The stream ends normally after ``close()``; when a shard
    /// gives up (``WebSocketReconnectError`` once its reconnection attempts are spent, or any
    /// error that ends a ``WebSocketManager/stream()``) the pool closes the other shards and
    /// the stream throws that error. One iterator at a time, as for a manager.
    public func stream() -> WebSocketPoolStream {
        WebSocketPoolStream(inbox: inbox, claim: iteratorClaim, url: url)
    }
}

/// The merged messages of a ``WebSocketPool``, as an `AsyncSequence`.
public struct WebSocketPoolStream: AsyncSequence, Sendable {
    /// One message with its shard.
    public typealias Element = WebSocketPoolMessage
    let inbox: MergedInbox
    let claim: IteratorClaim
    let url: String

    /// Takes messages off the pool's merged queue.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let inbox: MergedInbox
        let lease: IteratorClaim.Lease?
        let url: String

        /// The next message; `nil` when the stream ended normally; throws the error that ended
        /// it, or ``WebSocketStreamInUseError`` when another iterator holds the stream.
        public mutating func next() async throws -> WebSocketPoolMessage? {
            guard lease != nil else { throw WebSocketStreamInUseError(url: url) }
            return try await inbox.next()
        }
    }

    /// An iterator over the pool's merged queue.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(inbox: inbox, lease: claim.acquire(), url: url)
    }
}
