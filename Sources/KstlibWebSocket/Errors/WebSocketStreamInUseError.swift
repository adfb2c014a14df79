// Raised when a second iterator reads a manager's stream while the first still exists.

/// A second iterator of ``WebSocketManager/stream()`` was used while another one was alive.
///
/// Every stream of a manager reads the same queue, so two iterators at once would each see an
/// unpredictable half of the messages. The second iterator throws this from its first `next()`
/// instead; the first carries on unaffected. Once the first iterator is gone (its `for` loop
/// ended), a new one may start.
public struct WebSocketStreamInUseError: WebSocketError, Equatable {
    /// What happened, in words.
    public let message: String
    /// The URL of the manager whose stream was already being read.
    public let url: String

    /// Creates the error for the manager of `url`.
    public init(_ message: String = "the stream already has an iterator: read it from one place", url: String) {
        self.message = message
        self.url = url
    }

    /// `WebSocketStreamInUseError: message (url=…)`.
    public var description: String { describe(["url": url]) }
}
