// Racing an operation against the manager's clock.

/// Runs `body`, or throws `timeoutError()` once `timeout` has passed on `clock`, cancelling it.
///
/// Going through the injected clock keeps timeouts testable; `body` must honour cancellation.
func withDeadline<T: Sendable>(
    _ timeout: Duration, clock: any Clock<Duration>, timeoutError: @escaping @Sendable () -> any Error,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await clock.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            // The clock won; a result that raced in still counts.
            group.cancelAll()
            while let late = try? await group.next() {
                if let value = late { return value }
            }
            throw timeoutError()
        }
        return value
    }
}
