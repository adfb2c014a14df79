// The runtime the client's event loop and the embedded server share: work reaches the service
// thread once, in order, and never after the context is gone.
import Dispatch
import Foundation
import KstlibLibWebSockets
import Testing

@Suite(.timeLimit(.minutes(3))) struct ServiceThreadTests {
    @Test func workFromManyThreadsIsTakenOnceEachInEachThreadsOrder() async throws {
        let harness = ServiceHarness()
        try #require(harness.start(), "the service thread did not create its context")
        let threads = 4
        let perThread = 2_000
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for index in 0..<perThread {
                #expect(harness.service.submit(.value(thread: thread, index: index)))
            }
        }
        try await eventually("all \(threads * perThread) pieces of work taken") {
            harness.taken.withLock { $0.count } >= threads * perThread
        }
        let taken = harness.taken.withLock { $0 }
        #expect(taken.count == threads * perThread)
        for thread in 0..<threads {
            let indices = taken.filter { $0.thread == thread }.map(\.index)
            #expect(indices == Array(0..<perThread), "thread \(thread)'s work out of order or repeated")
        }
        let onServiceThread = harness.calledOnServiceThread.load(ordering: .relaxed)
        #expect(onServiceThread)
        #expect(harness.nonEmptyTakesInOnePass.load(ordering: .relaxed) == 0, "the queue was taken twice in a pass")
        #expect(!harness.service.isCurrent)
        try await stop(harness)
    }

    @Test func workQueuedWhileTheThreadIsBusyComesBackFromCloseAndNothingIsTakenAfter() async throws {
        let harness = ServiceHarness()
        try #require(harness.start())
        let release = DispatchSemaphore(value: 0)
        let holding = DispatchSemaphore(value: 0)
        #expect(harness.service.submit(.holdThenStop(release: release, holding: holding)))
        try #require(holding.wait(timeout: .now() + 10) == .success, "the service thread never took the hold")
        // The thread is inside its pass, past taking the queue: these wait for a pass that never comes.
        #expect(harness.service.submit(.value(thread: 0, index: 1)))
        #expect(harness.service.submit(.value(thread: 0, index: 2)))
        release.signal()
        try #require(harness.waitForEnd(), "the service thread did not end after the hold")
        let leftovers = harness.leftovers.compactMap { work -> Int? in
            if case .value(_, let index) = work { index } else { nil }
        }
        #expect(leftovers == [1, 2])
        #expect(harness.taken.withLock { $0.isEmpty })
        #expect(!harness.service.submit(.value(thread: 0, index: 3)), "work accepted after the context was closed")
        harness.service.wake() // a no-op once closed, never a call on a destroyed context
    }

    @Test func nothingIsAcceptedBeforeTheQueueIsOpened() throws {
        let harness = ServiceHarness()
        try #require(harness.start(openQueue: false))
        #expect(!harness.service.isAccepting)
        #expect(!harness.service.submit(.value(thread: 0, index: 0)))
        harness.endUnopened.signal()
        try #require(harness.waitForEnd())
        #expect(harness.leftovers.isEmpty)
    }

    @Test func aWakeUpFromAnotherThreadRunsAPassThatReportsIt() async throws {
        let harness = ServiceHarness()
        try #require(harness.start())
        // Counted as reports, not passes: libwebsockets may run passes of its own (a timer), but
        // reports a wake-up only for lws_cancel_service.
        let before = harness.wakeReports.load(ordering: .relaxed)
        harness.service.wake()
        try await eventually("a reported wake-up after wake()") {
            harness.wakeReports.load(ordering: .relaxed) > before
        }
        try await stop(harness)
    }

    @Test func refusedWorkIsRefusedButWorkQueuedBeforeIsStillTaken() async throws {
        let harness = ServiceHarness()
        try #require(harness.start())
        let release = DispatchSemaphore(value: 0)
        let holding = DispatchSemaphore(value: 0)
        #expect(harness.service.submit(.hold(release: release, holding: holding)))
        try #require(holding.wait(timeout: .now() + 10) == .success, "the service thread never took the hold")
        // Queued while the thread is busy, then refused: the queued piece still runs.
        #expect(harness.service.submit(.value(thread: 0, index: 1)))
        harness.service.refuseWork()
        #expect(!harness.service.isAccepting)
        #expect(!harness.service.submit(.value(thread: 0, index: 2)))
        release.signal()
        try await eventually("the work queued before refuseWork() taken") { harness.taken.withLock { $0.count } == 1 }
        #expect(harness.taken.withLock { $0.map(\.index) } == [1])
        harness.endByClosing()
        try #require(harness.waitForEnd())
        #expect(harness.leftovers.isEmpty)
    }

    private func stop(_ harness: ServiceHarness) async throws {
        // Released before it is taken (a semaphore made with a count must end with it).
        let release = DispatchSemaphore(value: 0)
        release.signal()
        #expect(harness.service.submit(.holdThenStop(release: release, holding: DispatchSemaphore(value: 0))))
        try #require(harness.waitForEnd(), "the service thread did not stop")
    }
}
