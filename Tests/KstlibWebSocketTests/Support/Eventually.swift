// Waiting for a condition that no event announces (a server's counters), bounded.

/// Checks `condition` every few milliseconds until it holds; fails the test, naming `what`,
/// when it still does not after `timeout`. For states only readable by looking (a server's
/// counters): the checks are a bounded wait, never a delay that lets something happen.
func eventually(
    _ what: String, timeout: Duration = .seconds(30), _ condition: @Sendable () -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { throw TestTimeout(limit: timeout, waitingFor: what) }
        try await Task.sleep(for: .milliseconds(10))
    }
}
