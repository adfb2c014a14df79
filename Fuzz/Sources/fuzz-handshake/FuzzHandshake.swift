// libFuzzer target: the check on headers, origin and subprotocols made before the upgrade request is sent.
import FuzzSupport
@_spi(Fuzzing) import KstlibWebSocket

/// Header names the client sets itself, spelled as the README documents them.
private let reserved = [
    "Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version",
    "Sec-WebSocket-Extensions", "Sec-WebSocket-Protocol", "Origin", "Content-Length",
]

/// Builds handshake options from the input and compares the library's verdict with an
/// independent reading of RFC 7230: names and subprotocols are non-empty tokens, no reserved
/// name, no control character but tab in a value or the origin. Whatever is accepted holds no
/// CR, LF or NUL; whatever is refused is refused as `.invalidRequest` with a printable reason.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    var configuration = WebSocketConfiguration()
    for _ in 0..<input.number(below: 4) {
        configuration.headers.append((name: name(&input), value: input.string(maxCount: 48)))
    }
    if input.flag() { configuration.origin = input.string(maxCount: 48) }
    for _ in 0..<input.number(below: 3) { configuration.subprotocols.append(input.string(maxCount: 24)) }
    if !input.isEmpty { configuration.headers.append((name: name(&input), value: input.restAsString())) }

    let verdict = FuzzingEntryPoints.validateHandshake(configuration)
    let expectedValid = isValid(configuration)
    let options =
        "headers \(configuration.headers.map { "\(visible($0.name)): \(visible($0.value))" }), "
        + "origin \(configuration.origin.map(visible) ?? "none"), subprotocols \(configuration.subprotocols.map(visible))"
    invariant(
        (verdict == nil) == expectedValid,
        "verdict \(verdict.map(String.init(describing:)) ?? "accepted") for \(options)")
    if let verdict {
        invariant(verdict.kind == .invalidRequest, "refused as \(verdict.kind): \(options)")
        invariant(
            !verdict.reason.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 },
            "reason with CR/LF/NUL: \(visible(verdict.reason))")
    } else {
        let everything =
            configuration.headers.flatMap { [$0.name, $0.value] } + configuration.subprotocols
            + [configuration.origin ?? ""]
        invariant(
            !everything.contains { $0.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 } },
            "accepted CR/LF/NUL: \(options)")
    }
    return 0
}

/// A header name: a reserved one in a random letter case, or any string.
private func name(_ input: inout FuzzInput) -> String {
    let choice = input.number(below: reserved.count * 2)
    guard choice < reserved.count else { return input.string(maxCount: 24) }
    return String(reserved[choice].map { input.flag() ? Character($0.uppercased()) : Character($0.lowercased()) })
}

private func isToken(_ text: String) -> Bool {
    let punctuation = Set("!#$%&'*+-.^_`|~".utf8)
    return !text.isEmpty
        && text.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || punctuation.contains(byte)
        }
}

private func isFieldValue(_ text: String) -> Bool {
    text.utf8.allSatisfy { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }
}

private func isValid(_ configuration: WebSocketConfiguration) -> Bool {
    let reservedLowercased = Set(reserved.map { $0.lowercased() })
    for header in configuration.headers {
        guard isToken(header.name), !reservedLowercased.contains(header.name.lowercased()), isFieldValue(header.value)
        else { return false }
    }
    if let origin = configuration.origin, !isFieldValue(origin) { return false }
    return configuration.subprotocols.allSatisfy(isToken)
}
