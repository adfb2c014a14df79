// The error hierarchy of the seed: every error is a WebSocketError and a KstlibError.
import Testing
@testable import KstlibWebSocket

@Suite(.timeLimit(.minutes(3))) struct ErrorHierarchyTests {
    static let samples: [any Error] = [
        WebSocketConnectionError(
            "could not connect", url: "ws://h/x", attempts: 3,
            lastError: WebSocketHandshakeFailure(kind: .connectFailed, reason: "refused")),
        WebSocketClosedError("closed", code: 4001, reason: "bye"),
        WebSocketTimeoutError("late", operation: .receive, timeout: .milliseconds(1500)),
        WebSocketReconnectError("gave up", attempts: 10, lastError: WebSocketClosedError()),
        WebSocketProtocolError("bad frame", protocolError: "reserved opcode", closeCode: .protocolError),
        WebSocketQueueFullError("full", queueSize: 1000, droppedCount: 7),
    ]

    @Test func everyErrorIsCaughtAsWebSocketErrorAndKstlibError() {
        for sample in Self.samples {
            #expect(sample is any WebSocketError, "\(type(of: sample))")
            #expect(sample is any KstlibError, "\(type(of: sample))")
            do { throw sample } catch let error as any WebSocketError {
                #expect(!error.message.isEmpty)
            } catch {
                Issue.record("\(type(of: sample)) escaped `catch let e as WebSocketError`")
            }
        }
    }

    @Test func descriptionsCarryMessageAndFields() {
        let texts = Self.samples.map { String(describing: $0) }
        #expect(
            texts[0]
                == "WebSocketConnectionError: could not connect (url=ws://h/x, attempts=3, lastError=connectFailed: refused)"
        )
        #expect(texts[1] == "WebSocketClosedError: closed (code=4001, reason=\"bye\")")
        #expect(texts[2] == "WebSocketTimeoutError: late (operation=receive, timeout=1.5 seconds)")
        #expect(texts[3].hasPrefix("WebSocketReconnectError: gave up (attempts=10, lastError=WebSocketClosedError"))
        #expect(texts[4] == "WebSocketProtocolError: bad frame (protocolError=\"reserved opcode\", closeCode=1002)")
        #expect(texts[5] == "WebSocketQueueFullError: full (queueSize=1000, droppedCount=7)")
    }

    @Test func closeCodesKeepPrivateValues() {
        let code: WebSocketCloseCode = 4321
        #expect(code.rawValue == 4321)
        #expect(code.isValidOnWire)
        #expect(!WebSocketCloseCode.abnormalClosure.isValidOnWire)
        #expect(WebSocketCloseCode.goingAway.isNormal && !WebSocketCloseCode.protocolError.isNormal)
    }

    @Test func httpStatusIsReachableFromTheConnectionError() {
        let error = WebSocketConnectionError(
            "rejected", url: "ws://h/", attempts: 1,
            lastError: WebSocketHandshakeFailure(kind: .httpStatus, reason: "not 101", httpStatus: 403))
        #expect(error.httpStatus == 403)
    }
}
