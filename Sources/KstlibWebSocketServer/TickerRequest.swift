// TickerRequest: subscription requests a client may send to /ticker, and the replies they get.
//
// Two dialects: kstlib style `{"type":"subscribe","channel":"X"}` (and "unsubscribe"), and
// Binance style `{"method":"SUBSCRIBE","params":["X"],"id":1}` (and "UNSUBSCRIBE").
import Foundation

/// A parsed subscription request.
struct TickerRequest: Equatable {
    enum Action: Equatable {
        case subscribe
        case unsubscribe
    }

    enum Dialect: Equatable {
        /// `{"type":...,"channel":...}`; the reply is `{"type":"subscribed","channel":"X"}`.
        case typed
        /// `{"method":...,"params":[...],"id":...}`; the reply is `{"result":null,"id":...}`,
        /// with the id copied as JSON text.
        case binance(idJSON: String)
    }

    let action: Action
    let channels: [String]
    let dialect: Dialect

    /// Parses a text message; nil when it is not a subscription request (it is then ignored).
    init?(text: String) {
        guard let data = text.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data),
            let fields = object as? [String: Any]
        else { return nil }

        if let type = fields["type"] as? String, let channel = fields["channel"] as? String {
            switch type {
            case "subscribe": action = .subscribe
            case "unsubscribe": action = .unsubscribe
            default: return nil
            }
            channels = [channel]
            dialect = .typed
            return
        }
        if let method = fields["method"] as? String {
            switch method.uppercased() {
            case "SUBSCRIBE": action = .subscribe
            case "UNSUBSCRIBE": action = .unsubscribe
            default: return nil
            }
            channels = (fields["params"] as? [Any])?.compactMap { $0 as? String } ?? []
            dialect = .binance(idJSON: Self.idJSON(fields["id"]))
            return
        }
        return nil
    }

    /// The acknowledgements to send back, one per message.
    var replies: [String] {
        switch dialect {
        case .binance(let idJSON):
            return ["{\"result\":null,\"id\":\(idJSON)}"]
        case .typed:
            let type = action == .subscribe ? "subscribed" : "unsubscribed"
            return channels.map { "{\"type\":\"\(type)\",\"channel\":\(JSONText.quoted($0))}" }
        }
    }

    /// The request id rendered back as JSON (number, string or null).
    private static func idJSON(_ id: Any?) -> String {
        switch id {
        case let text as String:
            return JSONText.quoted(text)
        case let number as NSNumber:
            if let integer = Int(exactly: number.doubleValue) {
                return String(integer)
            }
            return "\(number.doubleValue)"
        default:
            return "null"
        }
    }
}
