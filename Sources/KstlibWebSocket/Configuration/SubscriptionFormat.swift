// How subscribe and unsubscribe requests look on the wire.
import Foundation

/// Turns channel names into the text messages a server expects for (un)subscribing.
///
/// Pluggable because every platform has its own: ``kstlib`` is kstlib.websocket's default and
/// ``binance`` the common `{"method":"SUBSCRIBE","params":[...],"id":n}` style.
public struct SubscriptionFormat: Sendable {
    /// Whether a request subscribes or unsubscribes.
    ///
    /// A struct with static members rather than a `Bool`, so a format reads
    /// `action == .subscribe` instead of guessing what `true` means.
    public struct Action: Hashable, Sendable, CustomStringConvertible {
        let isSubscribe: Bool
        /// Start receiving the channels.
        public static let subscribe = Action(isSubscribe: true)
        /// Stop receiving the channels.
        public static let unsubscribe = Action(isSubscribe: false)
        /// `subscribe` or `unsubscribe`.
        public var description: String { isSubscribe ? "subscribe" : "unsubscribe" }
    }

    private let requests: @Sendable (_ action: Action, _ channels: [String], _ requestID: Int) -> [String]

    /// A format of your own, for a platform whose requests neither ``kstlib`` nor ``binance`` fits:
    /// the messages for `action` on `channels`; `requestID` increases with every request, for
    /// formats that need one.
    public init(requests: @escaping @Sendable (_ action: Action, _ channels: [String], _ requestID: Int) -> [String]) {
        self.requests = requests
    }

    /// A format whose closure takes `true` for subscribe and `false` for unsubscribe.
    @available(*, deprecated, renamed: "init(requests:)", message: "the Bool became an Action")
    public init(messages: @escaping @Sendable (_ subscribe: Bool, _ channels: [String], _ requestID: Int) -> [String]) {
        self.requests = { messages($0.isSubscribe, $1, $2) }
    }

    /// The messages for `action` on `channels`.
    public func messages(for action: Action, channels: [String], requestID: Int) -> [String] {
        requests(action, channels, requestID)
    }

    /// The messages for `subscribe` (true) or `unsubscribe` (false) of `channels`.
    @available(*, deprecated, renamed: "messages(for:channels:requestID:)")
    public var messages: @Sendable (_ subscribe: Bool, _ channels: [String], _ requestID: Int) -> [String] {
        { [requests] in requests($0 ? .subscribe : .unsubscribe, $1, $2) }
    }

    /// One message per channel: `{"type":"subscribe","channel":"NAME"}` (or `"unsubscribe"`).
    public static let kstlib = SubscriptionFormat(requests: { action, channels, _ in
        channels.map { jsonObject(["type": "\(action)", "channel": $0]) }
    })

    /// One message for all channels: `{"method":"SUBSCRIBE","params":["a","b"],"id":1}`.
    public static let binance = SubscriptionFormat(requests: { action, channels, requestID in
        let params = channels.map(quoted).joined(separator: ",")
        return ["{\"method\":\"\("\(action)".uppercased())\",\"params\":[\(params)],\"id\":\(requestID)}"]
    })

    private static func jsonObject(_ pairs: KeyValuePairs<String, String>) -> String {
        "{" + pairs.map { "\(quoted($0.key)):\(quoted($0.value))" }.joined(separator: ",") + "}"
    }

    /// A JSON string literal for `text`.
    static func quoted(_ text: String) -> String {
        let data = try? JSONEncoder().encode(text)
        return data.flatMap { String(data: $0, encoding: .utf8) } ?? "\"\""
    }
}
