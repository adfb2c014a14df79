// The `async with WebSocketManager(url) as ws:` of kstlib, in Swift.

/// Connects, runs `body` with the connected manager, and closes it, even when `body` throws.
///
/// ```swift
/// try await withWebSocket(url: "ws://127.0.0.1:9000/ticker") { ws in
///     for try await message in ws.stream().prefix(10) { print(message) }
/// }
/// ```
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
