// The root of kstlib's error hierarchy, shared by every kstlib subsystem.

/// Every error a kstlib library throws.
///
/// Mirrors Python kstlib's `KstlibError` base exception: `catch let error as any KstlibError`
/// catches anything a kstlib subsystem throws, while the subsystem protocols (such as
/// `WebSocketError`) narrow it down. Each error carries a human-readable ``message`` and prints it
/// together with its fields.
public protocol KstlibError: Error, CustomStringConvertible, Sendable {
    /// A human-readable description of what went wrong, without the fields.
    var message: String { get }
}
