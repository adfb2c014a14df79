// libFuzzer target: the incremental UTF-8 check that text messages and their fragments go through.
import Foundation
import FuzzSupport
@_spi(Fuzzing) import KstlibWebSocket

/// The first byte gives a number of cut points (0-15), the next bytes the cuts, the rest is
/// the payload. The payload is fed in one piece and then in the pieces the cuts make (each in
/// an allocation of its own size, so AddressSanitizer sees any read past a piece); the
/// validator must agree with the standard library and Foundation on the whole payload, fail in
/// the piece that holds the first bad byte, and after every piece say "complete" exactly when
/// the bytes so far are valid UTF-8.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let cutCount = input.number(below: 16)
    let rawCuts = (0..<cutCount).map { _ in input.number(below: 65536) }
    let payload = Array(input.rest())

    let valid = String(validating: payload, as: UTF8.self) != nil
    let foundationValid = String(data: Data(payload), encoding: .utf8) != nil
    invariant(valid == foundationValid, "standard library says \(valid), Foundation \(foundationValid) for \(payload)")

    invariant(
        feed(payload, cuts: []).valid == valid, "whole payload \(payload): validator disagrees, expected \(valid)")

    let bytewise = feed(payload, cuts: Array(payload.indices.dropFirst()), checkPrefixes: false)
    invariant(bytewise.valid == valid, "payload \(payload) byte by byte: validator disagrees, expected \(valid)")

    let cuts = Set(rawCuts.map { $0 % (payload.count + 1) }).sorted()
    let piecewise = feed(payload, cuts: cuts)
    invariant(piecewise.valid == valid, "payload \(payload) cut at \(cuts): validator disagrees, expected \(valid)")
    if let firstBad = bytewise.failedPiece?.lowerBound {
        // The piece that fails is the one holding the first byte that cannot continue the text.
        invariant(
            piecewise.failedPiece?.contains(firstBad) == true,
            "payload \(payload) cut at \(cuts): failed in \(piecewise.failedPiece as Any), first bad byte at \(firstBad)"
        )
    }
    return 0
}

/// Feeds `payload` cut at `cuts` (sorted offsets) to a fresh validator; with `checkPrefixes`,
/// checks after each accepted piece that `isComplete` says whether the bytes so far are valid.
private func feed(_ payload: [UInt8], cuts: [Int], checkPrefixes: Bool = true) -> (
    valid: Bool, failedPiece: Range<Int>?
) {
    var stream = FuzzingEntryPoints.UTF8Stream()
    let bounds = [0] + cuts + [payload.count]
    for piece in zip(bounds, bounds.dropFirst()).map({ $0..<$1 }) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: piece.count, alignment: 1)
        defer { copy.deallocate() }
        copy.copyBytes(from: payload[piece])
        guard stream.feed(UnsafeRawBufferPointer(copy)) else { return (false, piece) }
        guard checkPrefixes else { continue }
        let prefixValid = String(validating: payload[..<piece.upperBound], as: UTF8.self) != nil
        invariant(
            stream.isComplete == prefixValid,
            "after \(payload[..<piece.upperBound]): isComplete \(stream.isComplete), but the prefix is "
                + (prefixValid ? "valid" : "invalid"))
    }
    return (stream.isComplete, nil)
}
