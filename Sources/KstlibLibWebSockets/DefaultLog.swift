// libwebsockets' log level for a process that did not choose one.
internal import CLWSShim

/// libwebsockets prints notices and warnings to stderr unless told otherwise; the level is
/// process-wide.
package enum DefaultLog {
    /// Errors only, unless a log hook is already installed (the client's bridge to swift-log
    /// must never be undone by the embedded server starting after it).
    package static func installErrorsOnly() {
        lwss_install_default_log()
    }
}
