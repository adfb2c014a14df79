// The `async with WebSocketManager(url) as ws:` of kstlib, in Swift.

/// Connects, runs `body` with the connected manager, and closes it, even when `body` throws.
///
/// ```swift
/// try await withWebSocket(url: "ws://127.0.0.1:9000/ticker") { ws in
///     for try await message in ws.stream().prefix(10) { print(message) }
/// }
/// ```
///
/// - Parameters:
///   - url: The `ws://` or `wss://` URL to connect to.
///   - configuration: The manager's options; kstlib's defaults when omitted.
///   - isolation: The actor `body` runs on; the caller's, so `body` may touch its state.
///   - body: Works with the connected manager; the connection is closed when it returns or throws.
/// - Returns: What `body` returned.
/// - Throws: What ``WebSocketManager/connect()`` throws, then whatever `body` throws.
public func withWebSocket<Result>(
    url: String, configuration: WebSocketConfiguration = WebSocketConfiguration(),
    isolation: isolated (any Actor)? = #isolation,
    _ body: (WebSocketManager) async throws -> Result
) async throws -> Result {
    let manager = WebSocketManager(url: url, configuration: configuration)
    try await manager.connect()
    do {
        let result = try await body(manager)
        await manager.close()
        return result
    } catch {
        await manager.close()
        throw error
    }
}
