// Typed values read off the front of a libFuzzer input.

/// The fuzzer's bytes, consumed from the front as the small numbers, strings and byte runs a
/// target needs to build its structured input.
///
/// Reading past the end yields zeros and empty values rather than failing, so every input,
/// however short, is a valid test case: the fuzzer never wastes runs on rejected inputs.
public struct FuzzInput {
    private var remaining: ArraySlice<UInt8>

    public init(_ data: UnsafePointer<UInt8>, _ size: Int) {
        remaining = ArraySlice(UnsafeBufferPointer(start: data, count: size))
    }

    public var isEmpty: Bool { remaining.isEmpty }

    /// The next byte, 0 past the end.
    public mutating func byte() -> UInt8 {
        remaining.popFirst() ?? 0
    }

    /// A number in `0..<bound` taken from one byte (two when `bound` exceeds 256).
    public mutating func number(below bound: Int) -> Int {
        precondition(bound > 0)
        let raw = bound > 256 ? Int(byte()) << 8 | Int(byte()) : Int(byte())
        return raw % bound
    }

    /// Whether the next byte is odd.
    public mutating func flag() -> Bool {
        byte() & 1 == 1
    }

    /// Up to `maxCount` bytes: a length byte, then that many bytes (fewer near the end).
    public mutating func bytes(maxCount: Int = 64) -> ArraySlice<UInt8> {
        let count = min(number(below: maxCount + 1), remaining.count)
        defer { remaining = remaining.dropFirst(count) }
        return remaining.prefix(count)
    }

    /// A string made of up to `maxCount` bytes, ill-formed UTF-8 repaired with U+FFFD.
    public mutating func string(maxCount: Int = 64) -> String {
        String(decoding: bytes(maxCount: maxCount), as: UTF8.self)
    }

    /// Every byte not read yet.
    public mutating func rest() -> ArraySlice<UInt8> {
        defer { remaining = [] }
        return remaining
    }

    /// Every byte not read yet, as a string (ill-formed UTF-8 repaired with U+FFFD).
    public mutating func restAsString() -> String {
        String(decoding: rest(), as: UTF8.self)
    }
}
