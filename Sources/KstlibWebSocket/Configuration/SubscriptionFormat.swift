// How subscribe and unsubscribe requests look on the wire.
import Foundation

/// Turns channel names into the text messages a server expects for (un)subscribing.
///
/// Pluggable because every platform has its own: ``kstlib`` is kstlib.websocket's default and
/// ``binance`` the common `{"method":"SUBSCRIBE","params":[...],"id":n}` style.
public struct SubscriptionFormat: Sendable {
    /// Builds the messages for `subscribe` (true) or `unsubscribe` (false) of `channels`;
    /// `requestID` increases with every request, for formats that need one.
    public let messages: @Sendable (_ subscribe: Bool, _ channels: [String], _ requestID: Int) -> [String]

    /// A format of your own, for a platform whose requests neither ``kstlib`` nor ``binance`` fits.
    public init(messages: @escaping @Sendable (_ subscribe: Bool, _ channels: [String], _ requestID: Int) -> [String]) {
        self.messages = messages
    }

    /// One message per channel: `{"type":"subscribe","channel":"NAME"}` (or `"unsubscribe"`).
    public static let kstlib = SubscriptionFormat { subscribe, channels, _ in
        channels.map { jsonObject(["type": subscribe ? "subscribe" : "unsubscribe", "channel": $0]) }
    }

    /// One message for all channels: `{"method":"SUBSCRIBE","params":["a","b"],"id":1}`.
    public static let binance = SubscriptionFormat { subscribe, channels, requestID in
        let params = channels.map(quoted).joined(separator: ",")
        return [
            "{\"method\":\"\(subscribe ? "SUBSCRIBE" : "UNSUBSCRIBE")\",\"params\":[\(params)],\"id\":\(requestID)}"
        ]
    }

    private static func jsonObject(_ pairs: KeyValuePairs<String, String>) -> String {
        "{" + pairs.map { "\(quoted($0.key)):\(quoted($0.value))" }.joined(separator: ",") + "}"
    }

    /// A JSON string literal for `text`.
    static func quoted(_ text: String) -> String {
        let data = try? JSONEncoder().encode(text)
        return data.flatMap { String(data: $0, encoding: .utf8) } ?? "\"\""
    }
}
