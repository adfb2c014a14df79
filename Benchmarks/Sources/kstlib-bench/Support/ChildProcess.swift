// ChildProcess: a process started with posix_spawn, with pipes on its stdin and stdout (stderr is
// shared with ours, so its complaints reach the terminal). Waiting is waitpid, reading is read(2):
// no polling loop, no sleeps.
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

struct ChildProcessError: Error, CustomStringConvertible {
    var description: String
}

final class ChildProcess {
    let pid: pid_t
    private var output: Int32
    private var input: Int32
    private var buffered: [UInt8] = []
    private var reaped: Int32?

    /// Starts `arguments[0]` (a path) with the rest as its arguments and our environment.
    init(_ arguments: [String]) throws {
        var stdoutPipe: [Int32] = [0, 0]
        var stdinPipe: [Int32] = [0, 0]
        guard pipe(&stdoutPipe) == 0, pipe(&stdinPipe) == 0 else {
            throw ChildProcessError(description: "pipe failed: errno \(errno)")
        }
        // Only the spawned child may hold these ends: later children must not inherit them
        // (a server that inherited another's stdin would never see end of file).
        for end in stdoutPipe + stdinPipe { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears close-on-exec on the child's copies; the originals close at exec.
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)

        let cArguments = arguments.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        Self.inheritProcessNice()
        var pid: pid_t = 0
        let status = posix_spawn(&pid, arguments[0], &actions, nil, cArguments, environ)
        close(stdoutPipe[1])
        close(stdinPipe[0])
        guard status == 0 else {
            close(stdoutPipe[0])
            close(stdinPipe[1])
            throw ChildProcessError(description: "cannot start \(arguments[0]): \(String(cString: strerror(status)))")
        }
        self.pid = pid
        output = stdoutPipe[0]
        input = stdinPipe[1]
    }

    /// A child takes the nice value of the thread that spawns it. `run` executes on a Dispatch
    /// worker, whose priority libdispatch sets on its own, so without this `nice -n -20 make
    /// bench` would start its clients and servers at nice 0. Aligns the calling thread with the
    /// main thread's value (the one the benchmark was started with). On Linux the nice value
    /// belongs to a thread: PRIO_PROCESS with the pid names the main thread, with 0 the caller.
    private static func inheritProcessNice() {
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        errno = 0
        let processNice = getpriority(which, id_t(getpid()))
        guard errno == 0 else { return }
        errno = 0
        let threadNice = getpriority(which, 0)
        if errno == 0, threadNice != processNice {
            _ = setpriority(which, 0, processNice)
        }
    }

    deinit {
        closeInput()
        if output >= 0 { close(output) }
        if reaped == nil {
            kill(pid, SIGKILL)
            _ = waitForExit()
        }
    }

    /// The next line of the child's stdout without its newline; nil at end of file, or when
    /// `timeout` passes first (a server that never reports must not hang the run).
    func readLine(timeout: Duration) -> String? {
        let deadline = ContinuousClock.now + timeout
        while !buffered.contains(UInt8(ascii: "\n")) {
            let left = deadline - ContinuousClock.now
            var poller = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            guard left > .zero, poll(&poller, 1, Int32(max(left.seconds * 1000, 1))) > 0 else { return nil }
            guard fill() else { break }
        }
        return readLine()
    }

    /// The next line of the child's stdout without its newline; nil at end of file.
    func readLine() -> String? {
        while true {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffered[..<newline], as: UTF8.self)
                buffered.removeSubrange(...newline)
                return line
            }
            guard fill() else {
                guard !buffered.isEmpty else { return nil }
                defer { buffered = [] }
                return String(decoding: buffered, as: UTF8.self)
            }
        }
    }

    /// Writes `line` and a newline to the child's stdin.
    func writeLine(_ line: String) {
        guard input >= 0 else { return }
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
    }

    /// Closes the child's stdin: it sees end of file.
    func closeInput() {
        if input >= 0 { close(input) }
        input = -1
    }

    /// Waits for the child to end; its exit status, or 128 + signal.
    @discardableResult
    func waitForExit() -> Int32 {
        if let reaped { return reaped }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        reaped = code
        return code
    }

    /// Sends SIGKILL (the watchdog's last resort).
    func terminate() {
        if reaped == nil { kill(pid, SIGKILL) }
    }

    /// Reads more of stdout into the buffer; false at end of file.
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if count > 0 {
                buffered.append(contentsOf: chunk[..<count])
                return true
            }
            if count < 0 && errno == EINTR { continue }
            return false
        }
    }
}
