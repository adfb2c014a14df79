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

    /// At most this many channels per request: larger sets are split into several requests,
    /// each with its own request id, in order. Exchanges cap the topics of one subscribe
    /// message (say 10) and drop a client that sends more; `nil` (the default) gives the format
    /// every channel at once. Only meaningful for formats that name several channels in one
    /// message, such as ``binance``; a value under 1 counts as 1.
    public var maxTopicsPerMessage: Int?

    /// A format of your own, for a platform whose requests neither ``kstlib`` nor ``binance`` fits:
    /// the messages for `action` on `channels`; `requestID` increases with every request, for
    /// formats that need one.
    public init(
        maxTopicsPerMessage: Int? = nil,
        requests: @escaping @Sendable (_ action: Action, _ channels: [String], _ requestID: Int) -> [String]
    ) {
        self.requests = requests
        self.maxTopicsPerMessage = maxTopicsPerMessage
    }

    /// A format whose closure takes `true` for subscribe and `false` for unsubscribe.
    @available(*, deprecated, renamed: "init(maxTopicsPerMessage:requests:)", message: "the Bool became an Action")
    public init(messages: @escaping @Sendable (_ subscribe: Bool, _ channels: [String], _ requestID: Int) -> [String]) {
        self.requests = { messages($0.isSubscribe, $1, $2) }
    }

    /// The messages for `action` on `channels`: one request per batch of at most
    /// ``maxTopicsPerMessage`` channels, numbered from `requestID` on.
    public func messages(for action: Action, channels: [String], requestID: Int) -> [String] {
        batches(of: channels).enumerated().flatMap { index, batch in requests(action, batch, requestID + index) }
    }

    /// How many requests `count` channels take: the request ids a manager reserves for them.
    func requestCount(channels count: Int) -> Int {
        guard let size = maxTopicsPerMessage else { return 1 }
        return max(1, (count + max(1, size) - 1) / max(1, size))
    }

    /// `channels` cut into batches of at most ``maxTopicsPerMessage``, in order.
    func batches(of channels: [String]) -> [[String]] {
        guard let size = maxTopicsPerMessage.map({ max(1, $0) }), channels.count > size else { return [channels] }
        return stride(from: 0, to: channels.count, by: size).map {
            Array(channels[$0..<min($0 + size, channels.count)])
        }
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

    /// One message for all channels: `{"method":"SUBSCRIBE","params":["a","b"],"id":1}`. Set
    /// ``maxTopicsPerMessage`` for an exchange that caps the params of one request.
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
