// libFuzzer target: the ws:// / wss:// URL parser that runs before any byte is sent.
import FuzzSupport
@_spi(Fuzzing) import KstlibWebSocket

/// Parses the input as a URL and checks what a successful parse promises the handshake:
/// nothing in the host, the `Host` header or the request path can smuggle a line break or a
/// second request, the port is usable, and the parts re-render to a URL that parses back to
/// exactly the same parts.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    switch FuzzingEntryPoints.parseURL(text) {
    case .failure(let failure):
        invariant(failure.kind == .invalidURL, "failure of kind \(failure.kind) for \(visible(text))")
        invariant(!failure.reason.isEmpty, "failure without a reason for \(visible(text))")
    case .success(let parts):
        check(parts, parsedFrom: text)
    }
    return 0
}

private func check(_ parts: FuzzingEntryPoints.URLParts, parsedFrom text: String) {
    let input = visible(text)
    invariant(
        !text.unicodeScalars.contains { $0.value < 0x21 || $0.value == 0x7F },
        "accepted a URL with a space or control character: \(input)")
    invariant(!parts.host.isEmpty, "empty host from \(input)")
    invariant((1...65535).contains(parts.port), "port \(parts.port) from \(input)")
    invariant(parts.pathAndQuery.hasPrefix("/"), "path '\(parts.pathAndQuery)' from \(input)")
    invariant(!parts.pathAndQuery.contains("#"), "fragment kept in '\(parts.pathAndQuery)' from \(input)")
    for (name, value) in [("host", parts.host), ("Host header", parts.hostHeader), ("path", parts.pathAndQuery)] {
        invariant(
            !value.unicodeScalars.contains { $0.value < 0x21 || $0.value == 0x7F },
            "\(name) '\(visible(value))' holds a space or control character, from \(input)")
    }
    invariant(
        !parts.hostHeader.contains { "/?#@".contains($0) },
        "Host header '\(parts.hostHeader)' holds a URL delimiter, from \(input)")
    invariant(!parts.host.contains("@"), "host '\(parts.host)' holds user information, from \(input)")

    // Re-rendered two ways (default port implied by the Host header, and spelled out), the URL
    // must parse back to the same parts.
    let scheme = parts.secure ? "wss" : "ws"
    let bracketed = parts.host.contains(":") ? "[\(parts.host)]" : parts.host
    for rendered in [
        "\(scheme)://\(parts.hostHeader)\(parts.pathAndQuery)",
        "\(scheme)://\(bracketed):\(parts.port)\(parts.pathAndQuery)",
    ] {
        switch FuzzingEntryPoints.parseURL(rendered) {
        case .success(let again):
            invariant(again == parts, "\(input) parsed to \(parts), its rendering \(rendered) to \(again)")
        case .failure(let failure):
            invariant(false, "\(input) parsed to \(parts), its rendering \(rendered) failed: \(failure)")
        }
    }
}
