// The latest quote, shared between the tracker that writes it and the HTTP handlers that read it.
import Synchronization

/// The last quote received, as its JSON text.
final class QuoteBook: Sendable {
    private let latest = Mutex<String?>(nil)

    /// The last quote; `nil` before the first.
    var quote: String? { latest.withLock { $0 } }

    /// Keeps `quote`; `true` when it is the first.
    func record(_ quote: String) -> Bool {
        latest.withLock { latest in
            defer { latest = quote }
            return latest == nil
        }
    }
}
