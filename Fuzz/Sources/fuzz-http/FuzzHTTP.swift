// libFuzzer target: the reader of a refused upgrade's answer, fed in pieces as it arrives.
import FuzzSupport
@_spi(Fuzzing) import KstlibWebSocket

/// The first byte gives the body limit (0-255, so truncation is reached), the next byte a number
/// of cut points (0-7), the next bytes the cuts; the rest is what the server sent. The answer is
/// read whole, in the pieces the cuts make, and byte by byte: the three readings must agree, and
/// the body kept never exceeds the limit.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let limit = input.number(below: 256)
    let cutCount = input.number(below: 8)
    let rawCuts = (0..<cutCount).map { _ in input.number(below: 65536) }
    let answer = Array(input.rest())

    let whole = FuzzingEntryPoints.readHTTPResponse(answer, cuts: [], bodyLimit: limit)
    invariant(whole.body.count <= limit, "kept \(whole.body.count) bytes of body over a limit of \(limit): \(answer)")
    invariant(whole.status != nil || whole.body.isEmpty, "a body without a status line: \(answer)")

    let cuts = Set(rawCuts.map { $0 % (answer.count + 1) }).sorted()
    let piecewise = FuzzingEntryPoints.readHTTPResponse(answer, cuts: cuts, bodyLimit: limit)
    invariant(piecewise == whole, "cut at \(cuts): \(piecewise), whole: \(whole), answer \(answer)")

    let bytewise = FuzzingEntryPoints.readHTTPResponse(
        answer, cuts: Array(answer.indices.dropFirst()), bodyLimit: limit)
    invariant(bytewise == whole, "byte by byte: \(bytewise), whole: \(whole), answer \(answer)")
    return 0
}
