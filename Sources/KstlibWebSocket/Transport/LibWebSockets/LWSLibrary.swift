// The process-wide side of libwebsockets: which library is loaded, what it can do, its log hook.
internal import CLibWebSockets
internal import CLWSShim

/// Questions about the libwebsockets library itself rather than one connection, and the
/// process-wide hook that receives its log lines.
enum LWSLibrary {
    /// The version string of the loaded library, such as `4.3.5` or `4.5.8-unknown`.
    static var loadedVersion: String { String(cString: lws_get_library_version()) }

    /// The version of the headers this package was compiled against.
    static var compiledVersion: String { String(cString: lwss_compiled_version()) }

    /// Whether the library lists the response headers it has no token for (4.3 and later,
    /// when built with custom headers).
    static var listsCustomHeaders: Bool { lwss_custom_header_names(nil, nil, 0) == 0 }

    /// Installs the process-wide log hook: the levels in `mask` (libwebsockets' bits, ERR = 1)
    /// go to ``LogBridge/forward(level:line:)``, nothing else is enabled.
    static func installLogHook(forwarding mask: Int32) {
        lwss_install_log(mask, logHookSink)
    }
}

/// The C-callable sink; a file-level function because C function pointers cannot capture.
private func logHookSink(_ level: Int32, _ line: UnsafePointer<CChar>?) {
    guard let line else { return }
    LogBridge.forward(level: level, line: String(cString: line))
}
