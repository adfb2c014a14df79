// libFuzzer target: reading http_proxy / https_proxy / no_proxy.
import FuzzSupport
@_spi(Fuzzing) import KstlibWebSocket

/// Four modes, picked by the first byte: any proxy setting (what is returned is usable); a
/// well-formed setting built from parts (it must read back as those parts); `no_proxy` lists
/// (a list excludes a host if one of its entries does, and a host's own name excludes it);
/// whole environments (the proxy chosen is the one a variable names, and never an excluded one).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    switch input.number(below: 4) {
    case 0: checkAnySetting(input.restAsString())
    case 1: checkBuiltSetting(&input)
    case 2: checkExclusions(&input)
    default: checkEnvironment(&input)
    }
    return 0
}

private func checkAnySetting(_ setting: String) {
    guard let proxy = FuzzingEntryPoints.parseProxy(setting) else { return }
    invariant(!proxy.host.isEmpty, "empty host from \(visible(setting))")
    invariant((1...65535).contains(proxy.port), "port \(proxy.port) from \(visible(setting))")
    invariant(!proxy.host.contains { $0 == "/" || $0 == "@" }, "host \(proxy.host) from \(visible(setting))")
}

/// Characters of a host name, chosen by byte.
private let hostAlphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789.-")

private func checkBuiltSetting(_ input: inout FuzzInput) {
    let ipv6 = input.flag()
    let hostBytes = input.bytes(maxCount: 24)
    let host: String
    if ipv6 {
        host = String(hostBytes.map { Array("0123456789abcdef:")[Int($0) % 17] })
        guard !host.isEmpty else { return }
    } else {
        host = String(hostBytes.map { hostAlphabet[Int($0) % hostAlphabet.count] })
        guard !host.isEmpty else { return }
    }
    let scheme = ["", "http://", "https://", "HTTPS://"][input.number(below: 4)]
    let user = ["", "user@", "user:secret@", "a@b@"][input.number(below: 4)]
    let explicitPort = input.flag() ? 1 + input.number(below: 65535) : nil
    let tail = ["", "/", "/path?x=1"][input.number(below: 3)]
    let spaces = input.flag() ? "  " : ""
    let hostPart = ipv6 ? "[\(host)]" : host
    let setting = spaces + scheme + user + hostPart + (explicitPort.map { ":\($0)" } ?? "") + tail + spaces
    let expectedPort = explicitPort ?? (scheme.lowercased() == "https://" ? 443 : 80)
    let proxy = FuzzingEntryPoints.parseProxy(setting)
    invariant(
        proxy?.host == host && proxy?.port == expectedPort,
        "\(setting) read as \(proxy.map { "\($0.host) port \($0.port)" } ?? "no proxy")")
}

private func checkExclusions(_ input: inout FuzzInput) {
    let host = String(input.bytes(maxCount: 24).map { Array("abcXYZ019.-:")[Int($0) % 12] })
    let first = input.string(maxCount: 32)
    let second = input.restAsString()
    let both = FuzzingEntryPoints.proxyExcludes(host, list: first + "," + second)
    let either =
        FuzzingEntryPoints.proxyExcludes(host, list: first) || FuzzingEntryPoints.proxyExcludes(host, list: second)
    invariant(both == either, "\(host) excluded by '\(first),\(second)': \(both), by each: \(either)")
    invariant(FuzzingEntryPoints.proxyExcludes(host, list: "*"), "\(host) not excluded by *")
    // A host's own name excludes it, in any letter case, and so does its parent domain. A name
    // with exactly one colon is read as host:port, and one without a letter or digit is no name.
    guard host.filter({ $0 == ":" }).count != 1, host.contains(where: { $0.isLetter || $0.isNumber }) else { return }
    for entry in [host, host.uppercased(), " \(host) ", ".\(host)"] {
        invariant(FuzzingEntryPoints.proxyExcludes(host, list: entry), "\(host) not excluded by '\(entry)'")
        invariant(
            FuzzingEntryPoints.proxyExcludes("feed.\(host)", list: entry), "feed.\(host) not excluded by '\(entry)'")
    }
}

private let variables = ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"]

private func checkEnvironment(_ input: inout FuzzInput) {
    let url = (input.flag() ? "wss://" : "ws://") + input.string(maxCount: 40)
    var environment: [String: String] = [:]
    for _ in 0..<input.number(below: 5) {
        environment[variables[input.number(below: variables.count)]] = input.string(maxCount: 32)
    }
    guard let proxy = FuzzingEntryPoints.proxy(forURL: url, environment: environment) else { return }
    guard case .success(let endpoint) = FuzzingEntryPoints.parseURL(url) else {
        return invariant(false, "a proxy for the invalid URL \(visible(url))")
    }
    let named = (endpoint.secure ? ["https_proxy", "HTTPS_PROXY"] : ["http_proxy", "HTTP_PROXY"])
        .compactMap { environment[$0] }.compactMap(FuzzingEntryPoints.parseProxy)
    invariant(
        named.contains { $0.host == proxy.host && $0.port == proxy.port },
        "proxy \(proxy) for \(url) is named by no variable in \(environment)")
    let exclusions = environment["no_proxy"] ?? environment["NO_PROXY"] ?? ""
    invariant(
        exclusions.isEmpty || !FuzzingEntryPoints.proxyExcludes(endpoint.host, list: exclusions),
        "proxy \(proxy) for \(url), excluded by no_proxy \(exclusions)")
}
