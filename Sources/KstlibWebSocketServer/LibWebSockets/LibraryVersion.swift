// LibraryVersion: the libwebsockets version the server is compiled against.
internal import CLibWebSockets

/// The major and minor version of the libwebsockets headers, for behaviour that differs by release.
enum LibraryVersion {
    static let major = Int(LWS_LIBRARY_VERSION_MAJOR)
    static let minor = Int(LWS_LIBRARY_VERSION_MINOR)
}
