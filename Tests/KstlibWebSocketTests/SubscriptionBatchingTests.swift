// Subscribe batching: a format with maxTopicsPerMessage splits N channels into ceil(N / max)
// requests, in order, each with its own id, on subscribe and on every re-subscription.
import Foundation
import Testing
@testable import KstlibWebSocket
import KstlibWebSocketServer

@Suite(.timeLimit(.minutes(2))) struct SubscriptionBatchingTests {
    /// The method, params and id of a Binance-style request, `nil` for anything else.
    static func request(_ message: WebSocketMessage) -> (method: String, params: [String], id: Int)? {
        guard let fields = jsonFields(message), let method = fields["method"] as? String,
            let params = fields["params"] as? [String], let id = fields["id"] as? Int
        else { return nil }
        return (method, params, id)
    }

    static func binance(max: Int?) -> SubscriptionFormat {
        var format = SubscriptionFormat.binance
        format.maxTopicsPerMessage = max
        return format
    }

    @Test(arguments: [(7, 3), (6, 3), (1, 3), (10, 1), (5, 10)])
    func nChannelsMakeCeilNOverMaxRequests(channels count: Int, max: Int) throws {
        let channels = (0..<count).map { "t\($0)" }
        let format = Self.binance(max: max)
        let requests = try format.messages(for: .subscribe, channels: channels, requestID: 40)
            .map { try #require(Self.request(.text($0))) }
        let expected = (count + max - 1) / max
        #expect(requests.count == expected)
        #expect(format.requestCount(channels: count) == expected)
        #expect(requests.map(\.id) == Array(40..<(40 + expected)))
        #expect(requests.allSatisfy { $0.method == "SUBSCRIBE" && $0.params.count <= max })
        #expect(requests.flatMap(\.params) == channels)
    }

    @Test func withoutAMaximumEveryChannelGoesInOneRequest() throws {
        let channels = (0..<50).map { "t\($0)" }
        let requests = SubscriptionFormat.binance.messages(for: .unsubscribe, channels: channels, requestID: 1)
        #expect(requests.count == 1)
        let request = try #require(Self.request(.text(requests[0])))
        #expect(request.method == "UNSUBSCRIBE")
        #expect(request.params == channels)
    }

    /// Over `/echo`, which returns every request as it was sent: subscribe, unsubscribe and the
    /// re-subscription after a reconnect all go in batches, with increasing ids.
    @Test func subscribeUnsubscribeAndResubscriptionGoInBatches() async throws {
        let server = try EmbeddedWebSocketServer()
        defer { server.stop() }
        let log = EventLog<ManagerEvent>()
        let config = testConfiguration {
            $0.subscriptionFormat = Self.binance(max: 3)
            $0.autoReconnect = true
            $0.reconnectStrategy = .immediate
            // Traffic on an otherwise idle /echo, so the drop reaches the client at once (with
            // both loops idle it was once seen to take about 30 s).
            $0.pingInterval = .milliseconds(100)
            $0.record(into: log)
        }
        let manager = WebSocketManager(url: server.url("/echo"), configuration: config)
        try await within { try await manager.connect() }
        func nextRequests(_ count: Int) async throws -> [(method: String, params: [String], id: Int)] {
            var requests: [(method: String, params: [String], id: Int)] = []
            while requests.count < count {
                let message = try await manager.receive(timeout: .seconds(20))
                requests.append(try #require(Self.request(message)))
            }
            return requests
        }

        let channels = (0..<7).map { "t\($0)" }
        try await manager.subscribe(channels)
        let subscribed = try await nextRequests(3)
        #expect(subscribed.map(\.params) == [["t0", "t1", "t2"], ["t3", "t4", "t5"], ["t6"]])
        // The connect took id 1 (for its empty set, as every connect does).
        #expect(subscribed.map(\.id) == [2, 3, 4])
        #expect(subscribed.allSatisfy { $0.method == "SUBSCRIBE" })

        try await manager.unsubscribe(["t0", "t1", "t2", "t3"])
        let unsubscribed = try await nextRequests(2)
        #expect(unsubscribed.map(\.params) == [["t0", "t1", "t2"], ["t3"]])
        #expect(unsubscribed.map(\.id) == [5, 6])
        #expect(unsubscribed.allSatisfy { $0.method == "UNSUBSCRIBE" })

        try await manager.subscribe(["u0", "u1", "u2", "u3"])
        _ = try await nextRequests(2)
        server.dropAllConnections()
        #expect(await log.wait(count: 3))
        let restored = try await nextRequests(3)
        #expect(restored.map(\.params) == [["t4", "t5", "t6"], ["u0", "u1", "u2"], ["u3"]])
        #expect(restored.map(\.id) == [9, 10, 11])
        #expect(restored.allSatisfy { $0.method == "SUBSCRIBE" })
        await manager.close()
    }
}
