import Glibc
import PresigndCore

/// The prefork supervisor: forks the workers (before any thread exists), restarts one that dies
/// with back-off, drains all on SIGTERM/SIGINT, and on SIGHUP starts a new generation that
/// re-reads the configuration, retiring the old one only once every new worker is ready.
final class Supervisor {
    struct Child {
        let generation: Int
        let slot: Int
        let startedAt: Double
        var ready = false
    }

    let config: ServerConfig
    let socket: ListeningSocket
    let makeHandler: @Sendable () throws -> RequestHandler
    let metrics: Metrics
    var children: [pid_t: Child] = [:]
    var generation = 1
    /// The generation a SIGHUP is starting, and when it began.
    var reloading: (generation: Int, since: Double)?
    /// Current-generation slots waiting to be refilled, and when.
    var restartAt: [Int: Double] = [:]
    /// Quick successive deaths per slot, for the back-off.
    var failures: [Int: Int] = [:]
    var signalFD: Int32 = -1
    var readyPipe: [Int32] = [-1, -1]

    static let reloadTimeout = 30.0

    init(config: ServerConfig, socket: ListeningSocket, metrics: Metrics,
         makeHandler: @escaping @Sendable () throws -> RequestHandler) {
        self.metrics = metrics
        self.config = config
        self.socket = socket
        self.makeHandler = makeHandler
    }

    func run() -> Int32 {
        signalFD = Signals.descriptor(for: Signals.lifecycle)
        guard signalFD >= 0, pipe(&readyPipe) == 0 else {
            ServerLog.event("cannot start: \(ServerLog.lastError)")
            return 71
        }
        _ = fcntl(readyPipe[0], F_SETFL, O_NONBLOCK)
        metrics.set(Metrics.Families.buildInfo, [("version", PresigndVersion.current)], to: 1)
        for slot in 0..<config.workers { spawn(slot: slot, generation: generation) }
        while true {
            var fds = [pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: readyPipe[0], events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 2, pollTimeout())
            for signal in Signals.drain(signalFD) {
                switch signal {
                case SIGCHLD: reapChildren(stopping: false)
                case SIGHUP: startReload()
                default: return stop(signal: signal)
                }
            }
            readReadiness()
            if let reloading, Monotonic.now() - reloading.since > Supervisor.reloadTimeout {
                abandonReload("new workers were not ready after \(Int(Supervisor.reloadTimeout)) s")
            }
            restartDueSlots()
        }
    }

    func pollTimeout() -> Int32 {
        guard let next = restartAt.values.min() else { return reloading == nil ? -1 : 1000 }
        return Int32(max(0, min(1000, (next - Monotonic.now()) * 1000)))
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
            ServerLog.event("cannot fork a worker: \(ServerLog.lastError); retrying")
            restartAt[slot] = Monotonic.now() + 1
            return
        }
        children[pid] = Child(generation: generation, slot: slot, startedAt: Monotonic.now())
        metrics.set(Metrics.Families.workers, to: Int64(children.count))
    }

    func reapChildren(stopping: Bool) {
        var status: Int32 = 0
        while true {
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0 else { return }
            guard let child = children.removeValue(forKey: pid) else { continue }
            metrics.set(Metrics.Families.workers, to: Int64(children.count))
            let how = Supervisor.describe(status: status)
            if stopping { continue }
            if child.generation == generation {
                scheduleRestart(child, how: how, pid: pid)
            } else if child.generation == reloading?.generation {
                abandonReload("new worker \(pid) \(how) before it was ready")
            } else {
                ServerLog.event("old worker \(pid) \(how) after draining")
            }
        }
    }

    func scheduleRestart(_ child: Child, how: String, pid: pid_t) {
        let now = Monotonic.now()
        // A worker that dies young is probably failing at start: back off, up to 10 s.
        let count = now - child.startedAt < 5 ? (failures[child.slot] ?? 0) + 1 : 0
        failures[child.slot] = count
        let delay = count == 0 ? 0 : min(0.1 * Double(1 << min(count - 1, 7)), 10)
        restartAt[child.slot] = now + delay
        metrics.count(Metrics.Families.restarts)
        ServerLog.event("worker \(pid) \(how); restarting it in \(delay) s")
    }

    func restartDueSlots() {
        let now = Monotonic.now()
        for (slot, time) in restartAt where time <= now {
            restartAt[slot] = nil
            spawn(slot: slot, generation: generation)
        }
    }

    func startReload() {
        guard reloading == nil else {
            ServerLog.event("SIGHUP: a reload is already in progress")
            return
        }
        let next = generation + 1
        reloading = (next, Monotonic.now())
        ServerLog.event("SIGHUP: starting \(config.workers) new worker(s) with a fresh configuration")
        for slot in 0..<config.workers { spawn(slot: slot, generation: next) }
    }

    func readReadiness() {
        var pid: pid_t = 0
        while read(readyPipe[0], &pid, MemoryLayout<pid_t>.size) == MemoryLayout<pid_t>.size {
            children[pid]?.ready = true
        }
        guard let reloading else { return }
        let fresh = children.values.filter { $0.generation == reloading.generation }
        guard fresh.count == config.workers, fresh.allSatisfy(\.ready) else { return }
        let old = children.filter { $0.value.generation == generation }.map(\.key)
        for pid in old { kill(pid, SIGTERM) }
        generation = reloading.generation
        self.reloading = nil
        restartAt = [:]
        failures = [:]
        metrics.count(Metrics.Families.reloads, [("outcome", "completed")])
        ServerLog.event("reload complete: \(fresh.count) new worker(s) serving; \(old.count) old one(s) draining")
    }

    func abandonReload(_ reason: String) {
        guard let reloading else { return }
        for (pid, child) in children where child.generation == reloading.generation { kill(pid, SIGTERM) }
        self.reloading = nil
        metrics.count(Metrics.Families.reloads, [("outcome", "failed")])
        ServerLog.event("reload failed (\(reason)); the old workers keep serving")
    }

    func stop(signal: Int32) -> Int32 {
        ServerLog.event("\(signal == SIGINT ? "SIGINT" : "SIGTERM"): draining \(children.count) worker(s)")
        for pid in children.keys { kill(pid, SIGTERM) }
        let deadline = Monotonic.now() + Double(config.drainTimeout) + 2
        while !children.isEmpty && Monotonic.now() < deadline {
            var fds = [pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 1, 100)
            _ = Signals.drain(signalFD)
            reapChildren(stopping: true)
        }
        for pid in children.keys {
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
