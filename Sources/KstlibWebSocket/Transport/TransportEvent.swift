// The plain events the transport reports to the manager: the seam between pointers and policy.

/// How a transport connection ended. Reported exactly once per connection.
enum TransportEnd: Sendable, Equatable {
    /// The handshake never completed.
    case handshakeFailed(WebSocketHandshakeFailure)
    /// The server sent a close frame (code as received, after libwebsockets' checks).
    case peerClosed(code: WebSocketCloseCode, reason: String)
    /// We closed with a close frame (close(), or a proactive disconnect).
    case locallyClosed(code: WebSocketCloseCode, reason: String)
    /// The TCP connection went away without a close frame.
    case dropped
    /// The server broke the protocol; we failed the connection with the error's close code.
    case protocolViolation(WebSocketProtocolError)
    /// No pong within the ping timeout.
    case pingTimeout
    /// We cut the connection on purpose (kill, connect timeout, shutdown of the loop).
    case aborted
}

/// Receives a connection's events on the event-loop thread. Implementations must return quickly
/// and never block: every connection of the process shares that thread.
protocol TransportSink: AnyObject, Sendable {
    /// The upgrade succeeded; `subprotocol` is the server's choice, if any, and `compressed`
    /// tells whether permessage-deflate was negotiated.
    func transportOpened(subprotocol: String?, compressed: Bool)
    /// The whole messages of one service pass, in order: one hand-over per pass, not per
    /// message, so locks, clock reads and wake-ups are paid once for a burst. Return `false` to
    /// stop reading the socket (backpressure) until ``TransportConnection/resumeReading()``.
    func transportReceived(_ messages: [WebSocketMessage]) -> Bool
    /// A pong arrived for our keepalive ping after `roundTrip`.
    func transportPong(roundTrip: Duration)
    /// Queued bytes were handed to libwebsockets: ``LWSConnection/pendingBytes`` went down.
    func transportDrained()
    /// The connection is over; nothing more will be reported.
    func transportEnded(_ end: TransportEnd)
}
