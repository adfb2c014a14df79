// The event-loop thread as a Swift task executor: request/response code without thread hops.
import Dispatch

/// A task that prefers this executor (`withTaskExecutorPreference`) runs on the loop thread
/// between service passes. A message that arrives resumes it on the same thread, in the same
/// pass, and what it sends is written in the next pass: no wake-up of another thread on the
/// round trip, where the cooperative pool costs two (loop → consumer → loop), tens of
/// microseconds each on a small VM.
///
/// The price: while such a task runs, no connection of this loop is serviced. It suits a tight
/// receive-reply loop; blocking or long computations belong on the default executor.
extension EventLoop: TaskExecutor {
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if isServiceThread {
            runnable.append(job)
        } else if !submit(.run(job)) {
            runElsewhere(job)
        }
    }

    /// The loop has stopped: the task must still run to its end, on the global pool.
    func runElsewhere(_ job: UnownedJob) {
        DispatchQueue.global().async {
            job.runSynchronously(on: globalConcurrentExecutor.asUnownedTaskExecutor())
        }
    }

    /// Runs the jobs queued so far (service thread, between passes).
    func runExecutorJobs() {
        let jobs = runnable
        runnable.removeAll(keepingCapacity: true)
        let executor = asUnownedTaskExecutor()
        runningExecutorJobs = true
        for job in jobs { job.runSynchronously(on: executor) }
        runningExecutorJobs = false
    }
}
