// libFuzzer target: the JSON helpers (WebSocketMessage.decode, send(json:)'s encoding, SubscriptionFormat).
import Foundation
import FuzzSupport
@_spi(Fuzzing) import KstlibWebSocket

/// Any JSON document, to decode whatever the fuzzer writes.
private indirect enum JSONValue: Codable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    var hasNonFiniteNumber: Bool {
        switch self {
        case .number(let value): return !value.isFinite
        case .array(let values): return values.contains(where: \.hasNonFiniteNumber)
        case .object(let values): return values.values.contains(where: \.hasNonFiniteNumber)
        default: return false
        }
    }
}

/// A typical feed message, decoded the way `stream().decoded(as:)` would.
private struct Quote: Decodable {
    let symbol: String
    let price: Double
    let sequence: Int?
}

/// The shape of a `SubscriptionFormat.binance` request.
private struct BinanceRequest: Decodable, Equatable {
    let method: String
    let params: [String]
    let id: Int
}

/// Even first byte: the rest is a received message, decoded and re-encoded as `send(json:)`
/// does; what decodes must re-encode to valid UTF-8 (it goes out as a text frame) and decode
/// back to the same value. Odd first byte: channel names go through the subscription formats,
/// whose messages must be JSON that reads back to exactly those names.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    if input.flag() {
        checkSubscriptionFormats(&input)
    } else {
        checkMessage(Array(input.rest()))
    }
    return 0
}

private func checkMessage(_ bytes: [UInt8]) {
    let message = WebSocketMessage.binary(bytes)
    _ = try? message.decode(Quote.self)
    guard let value = try? message.decode(JSONValue.self) else { return }
    if let text = String(validating: bytes, as: UTF8.self) {
        let asText = try? WebSocketMessage.text(text).decode(JSONValue.self)
        invariant(asText == value, "text and binary decode differently: \(text)")
    }
    let encoded: Data
    do {
        encoded = try JSONEncoder().encode(value)
    } catch {
        invariant(value.hasNonFiniteNumber, "\(value) decoded but does not encode: \(error)")
        return
    }
    var utf8 = FuzzingEntryPoints.UTF8Stream()
    let valid = encoded.withUnsafeBytes { utf8.feed($0) } && utf8.isComplete
    invariant(valid, "send(json:) would send invalid UTF-8 for \(value)")
    let again = try? WebSocketMessage.binary(Array(encoded)).decode(JSONValue.self)
    invariant(
        again == value, "\(value) re-encoded as \(String(decoding: encoded, as: UTF8.self)) decodes to \(again as Any)")
}

private func checkSubscriptionFormats(_ input: inout FuzzInput) {
    let requestID = input.number(below: 65536) - 32768
    let channels = (0..<input.number(below: 4)).map { _ in input.string(maxCount: 32) } + [input.restAsString()]
    let decoder = JSONDecoder()
    for channel in channels {
        let quoted = FuzzingEntryPoints.quotedJSON(channel)
        let back = try? decoder.decode(String.self, from: Data(quoted.utf8))
        invariant(
            back == channel, "\(visible(channel)) quoted as \(quoted) reads back as \(back.map(visible) ?? "nothing")")
    }
    for subscribe in [true, false] {
        let kstlib = SubscriptionFormat.kstlib.messages(subscribe, channels, requestID)
        invariant(kstlib.count == channels.count, "\(kstlib.count) kstlib messages for \(channels.count) channels")
        for (message, channel) in zip(kstlib, channels) {
            let fields = try? decoder.decode([String: String].self, from: Data(message.utf8))
            let expected = ["type": subscribe ? "subscribe" : "unsubscribe", "channel": channel]
            invariant(fields == expected, "kstlib message \(message) for channel \(visible(channel))")
        }
        let binance = SubscriptionFormat.binance.messages(subscribe, channels, requestID)
        invariant(binance.count == 1, "\(binance.count) binance messages")
        let request = binance.first.flatMap { try? decoder.decode(BinanceRequest.self, from: Data($0.utf8)) }
        let expected = BinanceRequest(method: subscribe ? "SUBSCRIBE" : "UNSUBSCRIBE", params: channels, id: requestID)
        invariant(request == expected, "binance message \(binance) for channels \(channels.map(visible))")
    }
}
