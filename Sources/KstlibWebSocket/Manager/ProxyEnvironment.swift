// The conventional proxy environment variables, read the way curl reads them.

/// Picks the proxy for a URL from `https_proxy` / `http_proxy` / `no_proxy` (either case).
enum ProxyEnvironment {
    /// The proxy host and port for `endpoint`, or `nil` to connect directly.
    static func proxy(for endpoint: WebSocketURL, environment: [String: String]) -> (host: String, port: Int)? {
        func variable(_ name: String) -> String? {
            let value = environment[name] ?? environment[name.uppercased()]
            return value?.isEmpty == false ? value : nil
        }
        guard let setting = variable(endpoint.secure ? "https_proxy" : "http_proxy") else { return nil }
        if let exclusions = variable("no_proxy"), excluded(endpoint.host, by: exclusions) { return nil }
        return parse(setting)
    }

    /// `no_proxy`: comma-separated host names, domain suffixes (`.example.com` or `example.com`)
    /// and `*` for everything; ports are ignored.
    static func excluded(_ host: String, by list: String) -> Bool {
        let host = host.lowercased()
        for raw in list.split(separator: ",") {
            var entry = raw.trimmingCharacters(in: .whitespaces).lowercased()
            if entry == "*" { return true }
            if let colon = entry.lastIndex(of: ":"), !entry.contains("]"), entry.filter({ $0 == ":" }).count == 1 {
                entry = String(entry[..<colon])
            }
            entry = entry.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            if entry.hasPrefix(".") { entry.removeFirst() }
            guard !entry.isEmpty else { continue }
            if host == entry || host.hasSuffix("." + entry) { return true }
        }
        return false
    }

    /// `http://host:port`, `host:port` or `host` (port 80 then; 443 for an https:// proxy URL).
    static func parse(_ setting: String) -> (host: String, port: Int)? {
        var text = setting.trimmingCharacters(in: .whitespaces)
        var port = 80
        if let range = text.range(of: "://") {
            if text[..<range.lowerBound].lowercased() == "https" { port = 443 }
            text = String(text[range.upperBound...])
        }
        text = String(text.prefix { $0 != "/" })
        if let at = text.lastIndex(of: "@") { text = String(text[text.index(after: at)...]) }
        var host = text
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.hasPrefix(":"), let value = Int(rest.dropFirst()) { port = value }
        } else if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            guard let value = Int(text[text.index(after: colon)...]) else { return nil }
            port = value
        }
        guard !host.isEmpty, (1...65535).contains(port) else { return nil }
        return (host, port)
    }
}

import Foundation
