// The libwebsockets release the package is compiled against.
internal import CLWSShim

/// The headers' major and minor version, for behaviour that differs by release. The loaded
/// library has the same major.minor: the client refuses to run on another
/// (`LibWebSocketsRuntime.incompatibility`).
package enum LibraryVersion {
    package static let major = Int(LWS_LIBRARY_VERSION_MAJOR)
    package static let minor = Int(LWS_LIBRARY_VERSION_MINOR)

    /// Whether the headers are at least `major.minor`.
    package static func isAtLeast(_ major: Int, _ minor: Int) -> Bool {
        (self.major, self.minor) >= (major, minor)
    }
}
