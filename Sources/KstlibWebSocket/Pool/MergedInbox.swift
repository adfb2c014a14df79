// The pool's one queue, fed by every shard's stream and read by WebSocketPool.stream().
import DequeModule
import Synchronization

/// The messages of every shard, in the order their forwarders handed them over, bounded.
///
/// When it holds `capacity` messages a forwarder's `push` suspends: the forwarder then stops
/// reading its shard's stream, whose own queue fills and applies the shard's
/// ``WebSocketConfiguration/queueOverflowPolicy`` (backpressure by default, down to the socket).
/// So the pool adds no unbounded buffer of its own.
final class MergedInbox: Sendable {
    private struct State {
        var messages = Deque<WebSocketPoolMessage>()
        var ending: Result<Void, any Error>?
        var consumer: CheckedContinuation<WebSocketPoolMessage?, any Error>?
        var producers: [CheckedContinuation<Void, Never>] = []
    }

    let capacity: Int
    private let state = Mutex(State())

    /// `capacity` 0 is unbounded.
    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Adds `message`, waiting while the queue is full; dropped once the inbox has ended.
    func push(_ message: WebSocketPoolMessage) async {
        while true {
            let full = state.withLock { $0.ending == nil && capacity > 0 && $0.messages.count >= capacity }
            if !full { break }
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    guard state.ending == nil, state.messages.count >= capacity else { return true }
                    state.producers.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
        let consumer = state.withLock { state -> CheckedContinuation<WebSocketPoolMessage?, any Error>? in
            guard state.ending == nil else { return nil }
            if let consumer = state.consumer {
                state.consumer = nil
                return consumer
            }
            state.messages.append(message)
            return nil
        }
        consumer?.resume(returning: message)
    }

    /// Ends the inbox: the consumer gets what is queued, then `nil` or the error. The first
    /// ending wins.
    func end(_ ending: Result<Void, any Error>) {
        let (consumer, producers) = state.withLock { state in
            guard state.ending == nil else {
                return (nil, [])
                    as (CheckedContinuation<WebSocketPoolMessage?, any Error>?, [CheckedContinuation<Void, Never>])
            }
            state.ending = ending
            let producers = state.producers
            state.producers = []
            let consumer = state.messages.isEmpty ? state.consumer : nil
            if consumer != nil { state.consumer = nil }
            return (consumer, producers)
        }
        producers.forEach { $0.resume() }
        guard let consumer else { return }
        switch ending {
        case .success: consumer.resume(returning: nil)
        case .failure(let error): consumer.resume(throwing: error)
        }
    }

    /// The next message; `nil` once ended normally; throws the error it ended with.
    func next() async throws -> WebSocketPoolMessage? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let (outcome, producer) = state.withLock {
                    state -> (Result<WebSocketPoolMessage?, any Error>?, CheckedContinuation<Void, Never>?) in
                    if let message = state.messages.popFirst() {
                        let producer = state.producers.isEmpty ? nil : state.producers.removeFirst()
                        return (.success(message), producer)
                    }
                    switch state.ending {
                    case .success: return (.success(nil), nil)
                    case .failure(let error): return (.failure(error), nil)
                    case nil: break
                    }
                    if Task.isCancelled { return (.failure(CancellationError()), nil) }
                    state.consumer = continuation
                    return (nil, nil)
                }
                producer?.resume()
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let consumer = state.withLock { state in
                defer { state.consumer = nil }
                return state.consumer
            }
            consumer?.resume(throwing: CancellationError())
        }
    }
}
