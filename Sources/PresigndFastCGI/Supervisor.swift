import Glibc
import PresigndHTTP
import PresigndMetrics
import PresigndSupport

/// The prefork supervisor: forks the workers (before any thread exists), restarts one that dies
/// with back-off, drains all on SIGTERM/SIGINT, and on SIGHUP starts a new generation that
/// re-reads the configuration, retiring the old one only once every new worker is ready. The
/// decisions are `SupervisorState`'s (unit-tested without processes); this class forks, signals,
/// reaps, logs and counts.
final class Supervisor {
    let config: ServerConfig
    let socket: ListeningSocket
    let makeHandler: @Sendable () throws -> RequestHandler
    let checkReload: @Sendable () -> String?
    let metrics: Metrics
    var state: SupervisorState
    var signalFD: Int32 = -1
    var readyPipe: [Int32] = [-1, -1]

    init(config: ServerConfig, socket: ListeningSocket, metrics: Metrics, checkReload: @escaping @Sendable () -> String?,
         makeHandler: @escaping @Sendable () throws -> RequestHandler) {
        self.metrics = metrics
        self.checkReload = checkReload
        self.config = config
        self.socket = socket
        self.makeHandler = makeHandler
        self.state = SupervisorState(workers: config.workers)
    }

    func run() -> Int32 {
        signalFD = Signals.descriptor(for: Signals.lifecycle)
        guard signalFD >= 0, pipe(&readyPipe) == 0 else {
            ServerLog.event("cannot start: \(ServerLog.lastError)")
            return 71
        }
        _ = fcntl(readyPipe[0], F_SETFL, O_NONBLOCK)
        metrics.set(Metrics.Families.buildInfo, [("version", PresigndVersion.current)], to: 1)
        perform(state.start())
        while true {
            var fds = [pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: readyPipe[0], events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 2, state.pollTimeout(now: MonotonicTime.now()))
            for signal in Signals.drain(signalFD) {
                switch signal {
                case SIGCHLD: reapChildren()
                case SIGHUP: reload()
                default: return stop(signal: signal)
                }
            }
            readReadiness()
            perform(state.tick(now: MonotonicTime.now()))
        }
    }

    /// A new generation, once the configuration it will read is known to be valid.
    func reload() {
        if let problem = checkReload() {
            ServerLog.event("reload refused, the running workers stay: \(problem)")
            metrics.count(Metrics.Families.reloads, [("outcome", "failed")])
            return
        }
        perform(state.hangup(now: MonotonicTime.now()))
    }

    func perform(_ actions: [SupervisorState.Action]) {
        for action in actions {
            switch action {
            case .fork(let slot, let generation):
                spawn(slot: slot, generation: generation)
            case .terminate(let pid):
                kill(pid, SIGTERM)
            case .log(let message):
                ServerLog.event(message)
            case .restartScheduled:
                metrics.count(Metrics.Families.restarts)
            case .reloadFinished(let completed):
                metrics.count(Metrics.Families.reloads, [("outcome", completed ? "completed" : "failed")])
            }
        }
        metrics.set(Metrics.Families.workers, to: Int64(state.alive))
    }

    func spawn(slot: Int, generation: Int) {
        let supervisor = getpid()
        let pid = fork()
        if pid == 0 {
            close(signalFD)
            close(readyPipe[0])
            exit(Worker.run(listenFD: socket.fd, config: config, supervisor: supervisor, readyFD: readyPipe[1], slot: slot,
                            makeHandler: makeHandler))
        }
        guard pid > 0 else {
            perform(state.forkFailed(slot: slot, generation: generation, now: MonotonicTime.now(), reason: ServerLog.lastError))
            return
        }
        state.forked(pid: pid, slot: slot, generation: generation, now: MonotonicTime.now())
    }

    func reapChildren() {
        for (pid, status) in Supervisor.reaped() {
            perform(state.childExited(pid: pid, how: Supervisor.describe(status: status), now: MonotonicTime.now()))
        }
    }

    /// Every child that has exited since the last call, with its wait status.
    static func reaped() -> [(pid: pid_t, status: Int32)] {
        var exited: [(pid: pid_t, status: Int32)] = []
        var status: Int32 = 0
        while true {
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0 else { return exited }
            exited.append((pid, status))
        }
    }

    func readReadiness() {
        var pid: pid_t = 0
        while read(readyPipe[0], &pid, MemoryLayout<pid_t>.size) == MemoryLayout<pid_t>.size {
            perform(state.readyReported(pid: pid))
        }
    }

    func stop(signal: Int32) -> Int32 {
        var children = Set(state.children.keys)
        ServerLog.event("\(signal == SIGINT ? "SIGINT" : "SIGTERM"): draining \(children.count) worker(s)")
        for pid in children { kill(pid, SIGTERM) }
        let deadline = MonotonicTime.now() + Double(config.drainTimeout) + 2
        while !children.isEmpty && MonotonicTime.now() < deadline {
            var fds = [pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 1, 100)
            _ = Signals.drain(signalFD)
            for (pid, _) in Supervisor.reaped() { children.remove(pid) }
        }
        for pid in children.sorted() {
            ServerLog.event("worker \(pid) did not stop in time; killing it")
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        socket.removeFile()
        ServerLog.event("stopped")
        return 0
    }

    /// "exited with status 3" or "was killed by signal 9" (the W* macros do not import).
    static func describe(status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "exited with status \((status >> 8) & 0xff)" }
        return "was killed by signal \(signal)"
    }
}
