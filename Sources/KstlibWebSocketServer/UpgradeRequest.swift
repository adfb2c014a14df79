// UpgradeRequest: the path and query of a websocket upgrade, read from libwebsockets' header table.
//
// libwebsockets keeps the path (query stripped) as one header token, and each query argument,
// already URL-decoded ('+' becomes a space), as one fragment of another. The header table exists
// until the end of the ESTABLISHED callback; it is dropped right after.

/// The request line of an upgrade, as far as endpoint routing needs it.
struct UpgradeRequest {
    /// The URI path without the query, e.g. `/ticker`.
    let path: String
    /// Query arguments by name; a repeated name keeps its first value.
    let query: [String: String]

    /// Larger than libwebsockets' default header table (4 KiB), so no single item can overflow it.
    private static let bufferSize = 8192

    /// Reads the request of `wsi`; nil when the header table is gone or has no GET URI.
    /// Call only on the service thread, while the upgrade is filtered or established.
    init?(wsi: ServerWSI) {
        var buffer = [CChar](repeating: 0, count: Self.bufferSize)
        let length = wsi.copyRequestPath(into: &buffer)
        guard length > 0 else { return nil }
        path = Self.string(from: buffer)

        var query: [String: String] = [:]
        var index = 0
        while wsi.copyQueryArgument(index, into: &buffer) {
            let argument = Self.string(from: buffer)
            let name: Substring
            let value: Substring
            if let equals = argument.firstIndex(of: "=") {
                name = argument[..<equals]
                value = argument[argument.index(after: equals)...]
            } else {
                name = Substring(argument)
                value = ""
            }
            if query[String(name)] == nil {
                query[String(name)] = String(value)
            }
            index += 1
        }
        self.query = query
    }

    /// Decodes a NUL-terminated C string as UTF-8, repairing invalid bytes.
    private static func string(from buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
