// How a pool's shard asks its pool before it opens a connection or goes down on purpose.

/// The questions a ``WebSocketManager`` that is a shard of a ``WebSocketPool`` puts to its pool.
///
/// Internal and set only by the pool (``WebSocketConfiguration/shardHooks``): a lone manager has
/// none and behaves as before. Each hook is awaited by the manager at the one point where the
/// pool's shared limits apply, so the pool keeps every decision in one place.
struct ShardHooks: Sendable {
    /// Awaited before every connection attempt (connect, reconnect, a rotation's new connection),
    /// outside ``WebSocketConfiguration/connectionTimeout``: returns once the pool's connection
    /// window allows one more connection. Throws only `CancellationError`.
    var beforeConnect: @Sendable () async throws -> Void
    /// Called when an attempt's connection opened.
    var connected: @Sendable () -> Void
    /// Awaited before a proactive disconnect (connection age, `shouldDisconnect`): returns once
    /// going down leaves another shard of the pool up.
    var beforeProactiveDisconnect: @Sendable () async -> Void
}
