// Incremental UTF-8 validation, so a bad text message fails fast, even across fragments.

/// Checks UTF-8 one chunk at a time, remembering a code point split between chunks.
///
/// libwebsockets can validate too, but it then closes on its own and its close cannot be told
/// apart from a network drop; validating here lets the transport report a precise 1007.
struct UTF8Validator {
    /// Continuation bytes still expected for the current code point.
    private var pending = 0
    /// The allowed range of the next continuation byte (narrower right after E0, ED, F0, F4).
    private var low: UInt8 = 0x80
    private var high: UInt8 = 0xBF

    /// Whether the bytes so far end on a code-point boundary.
    var isComplete: Bool { pending == 0 }

    mutating func reset() { self = UTF8Validator() }

    /// Feeds `bytes`; `false` as soon as they cannot be part of valid UTF-8.
    mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = bytes.count
        while index < count {
            if pending == 0 {
                // ASCII fast path: eight bytes at a time.
                while index + 8 <= count,
                    bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0
                {
                    index += 8
                }
                if index >= count { break }
                let byte = bytes[index]
                index += 1
                if byte < 0x80 { continue }
                if !start(byte) { return false }
            } else {
                let byte = bytes[index]
                index += 1
                guard byte >= low && byte <= high else { return false }
                pending -= 1
                low = 0x80
                high = 0xBF
            }
        }
        return true
    }

    private mutating func start(_ lead: UInt8) -> Bool {
        switch lead {
        case 0xC2...0xDF: pending = 1
        case 0xE0:
            pending = 2
            low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: pending = 2
        case 0xED:
            pending = 2
            high = 0x9F
        case 0xF0:
            pending = 3
            low = 0x90
        case 0xF1...0xF3: pending = 3
        case 0xF4:
            pending = 3
            high = 0x8F
        default: return false
        }
        return true
    }
}
