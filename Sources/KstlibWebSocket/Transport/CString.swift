// Reading NUL-terminated C buffers without the deprecated array form of String(cString:).

extension String {
    /// The text of a NUL-terminated C buffer (up to its first NUL), repairing invalid UTF-8.
    init(cBuffer buffer: [CChar]) {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        self = String(decoding: bytes, as: UTF8.self)
    }
}
