// The root of kstlib's error hierarchy, shared by every kstlib subsystem.

/// Every error a kstlib library throws.
///
/// Mirrors Python kstlib's `KstlibError` base exception: `catch let error as any KstlibError`
/// catches anything a kstlib subsystem throws, while the subsystem protocols (such as
/// `WebSocketError`) narrow it down. Each error carries a human-readable ``message`` and prints it
/// together with its fields.
///
/// A protocol rather than a base class so that every concrete error stays a `Sendable` value
/// type that can cross tasks and be matched with `catch let error as SomeError`:
///
/// ```swift
/// do { try await run() }
/// catch let error as any KstlibError { log.error("\(error)") }  // "WebSocketClosedError: … (code=4001, …)"
/// ```
public protocol KstlibError: Error, CustomStringConvertible, Sendable {
    /// A human-readable description of what went wrong, without the fields.
    ///
    /// `description` adds the fields; log `message` when the fields are logged separately.
    var message: String { get }
}
