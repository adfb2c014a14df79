// The incoming queue's overflow policies, with a consumer that reads only when told.
import Testing
@testable import KstlibWebSocket

@Suite(.timeLimit(.minutes(3))) struct DeterministicQueuePolicyTests {
    /// Connected with a queue of 4 and nobody reading; the server then sends 1...10.
    func overflowed(_ policy: QueueOverflowPolicy) async -> SimulatedWorld {
        let world = SimulatedWorld(
            configuration: testConfiguration {
                $0.queueSize = 4
                $0.queueOverflowPolicy = policy
            })
        world.start { try await world.manager.connect() }
        await world.settle()
        world.connection.serverSend(feed(1...10))
        await world.settle()
        return world
    }

    @Test func dropNewestKeepsTheFirstMessages() async {
        let world = await overflowed(.dropNewest)
        defer { world.stop() }
        world.consume()
        await world.settle()
        #expect(world.received.events == ["1", "2", "3", "4"])
        #expect(world.manager.stats.messagesDropped == 6)
        #expect(world.events.events.filter { $0 != .connect }.count == 6, "one alert per drop")
    }

    @Test func dropOldestKeepsTheLastMessages() async {
        let world = await overflowed(.dropOldest)
        defer { world.stop() }
        world.consume()
        await world.settle()
        #expect(world.received.events == ["7", "8", "9", "10"])
        #expect(world.manager.stats.messagesDropped == 6)
    }

    @Test func failEndsTheReaderWithQueueFull() async {
        let world = await overflowed(.fail)
        defer { world.stop() }
        let reader = world.consume()
        await world.settle()
        let error = reader.error as? WebSocketQueueFullError
        #expect(error?.droppedCount == 6, "\(String(describing: reader.error))")
        #expect(world.received.events.isEmpty)
    }

    @Test func backpressurePausesReadingAndLosesNothing() async {
        let world = await overflowed(.backpressure)
        defer { world.stop() }
        #expect(world.connection.isReadingPaused)
        #expect(world.manager.stats.messagesReceived == 5, "the fifth message engaged the pause")
        // A reader that takes one message at a time: reading resumes once the queue is half empty.
        var got: [String] = []
        for _ in 1...10 {
            let one = world.start { try await world.manager.receive() }
            await world.settle()
            got.append(one.value?.text ?? "?")
        }
        #expect(got == (1...10).map(String.init))
        #expect(!world.connection.isReadingPaused)
        #expect(world.manager.stats.messagesDropped == 0)
    }
}
