import Glibc
import Synchronization
import PresigndHTTP
import PresigndMetrics
import PresigndSupport

/// One prefork worker process: `threads` serving threads, each owning one `FCGX_Request` and
/// serving one connection at a time, so a connection nginx keeps alive never stalls the others.
/// SIGTERM stops accepting, lets in-flight requests finish, then exits.
final class Worker: Sendable {
    let listenFD: Int32
    let limits: GatewayLimits
    /// Ids for requests refused before the application sees them (made in the worker, after the fork).
    let requestIDs = RequestIDs()
    let handler: RequestHandler
    /// Readable once the worker is stopping: every idle thread polls it next to its socket.
    let wakeRead: Int32
    let wakeWrite: Int32
    let stopping = Atomic<Bool>(false)
    let liveThreads = Atomic<Int>(0)
    let busyThreads = Atomic<Int>(0)
    let deadlines: ReadDeadlines

    /// Seconds a stopping worker keeps its idle kept-alive connections open, so that nginx's next
    /// request on each is served and the connection retired cleanly rather than closed under it.
    let retireGrace: Double

    /// Largest refused body still read and dropped to keep a kept-alive connection usable.
    static let discardLimit = 16 << 20

    init(listenFD: Int32, limits: GatewayLimits, handler: @escaping RequestHandler, wake: (read: Int32, write: Int32),
         deadlines: ReadDeadlines, retireGrace: Double) {
        self.deadlines = deadlines
        self.retireGrace = retireGrace
        self.listenFD = listenFD
        self.limits = limits
        self.handler = handler
        self.wakeRead = wake.read
        self.wakeWrite = wake.write
    }

    /// Runs in a freshly forked child; returns the process's exit status.
    /// `slot` is the worker's place among the supervisor's workers (0 ..< workers), which its
    /// replacement takes over; the application reads it as `PRESIGND_WORKER_SLOT` (per-worker metrics).
    static func run(
        listenFD: Int32, config: ServerConfig, supervisor: pid_t, readyFD: Int32, slot: Int,
        makeHandler: @Sendable () throws -> RequestHandler
    ) -> Int32 {
        Signals.terminateWithParent()
        if getppid() != supervisor { return 0 } // the supervisor died before the line above
        setenv("PRESIGND_WORKER_SLOT", String(slot), 1)  // before any thread: setenv is not thread-safe
        let handler: RequestHandler
        do {
            handler = try makeHandler()
        } catch {
            ServerLog.event("worker cannot start: \(error)")
            return 78 // EX_CONFIG
        }
        guard FastCGIRequest.initializeLibrary() else {
            ServerLog.event("worker cannot start: FCGX_Init failed")
            return 70
        }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            ServerLog.event("worker cannot start: pipe: \(ServerLog.lastError)")
            return 71
        }
        // Threads that lose the race for a new connection must get EAGAIN, not block in accept().
        _ = fcntl(listenFD, F_SETFL, fcntl(listenFD, F_GETFL) | O_NONBLOCK)
        let limits = GatewayLimits(bodyLimit: config.bodyLimit, headerLimit: config.headerLimit)
        let deadlines = ReadDeadlines(threads: config.threads, timeout: Double(config.readTimeout))
        let worker = Worker(listenFD: listenFD, limits: limits, handler: handler, wake: (fds[0], fds[1]), deadlines: deadlines,
                            retireGrace: min(2, Double(config.drainTimeout) / 2))
        guard deadlines.startWatchdog(seconds: config.readTimeout) else {
            ServerLog.event("worker cannot start its read-timeout thread: \(ServerLog.lastError)")
            return 71
        }
        for slot in 0..<config.threads {
            worker.liveThreads.add(1, ordering: .sequentiallyConsistent)
            guard Threads.start({ worker.serveConnections(slot: slot) }) else {
                ServerLog.event("worker cannot start a thread: \(ServerLog.lastError)")
                return 71
            }
        }
        var pid = getpid()
        _ = write(readyFD, &pid, MemoryLayout<pid_t>.size)
        close(readyFD)
        return worker.waitForStop(drainTimeout: config.drainTimeout)
    }

    /// Blocks until SIGTERM/SIGINT, then drains.
    func waitForStop(drainTimeout: Int) -> Int32 {
        var set = Signals.set([SIGTERM, SIGINT])
        var signal: Int32 = 0
        sigwait(&set, &signal)
        stopping.store(true, ordering: .sequentiallyConsistent)
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        let deadline = MonotonicTime.now() + Double(drainTimeout)
        while liveThreads.load(ordering: .sequentiallyConsistent) > 0 && MonotonicTime.now() < deadline {
            usleep(5_000)
        }
        let busy = busyThreads.load(ordering: .sequentiallyConsistent)
        if busy > 0 {
            ServerLog.event("drain timeout after \(drainTimeout) s: abandoning \(busy) unfinished request(s)")
            return 1
        }
        return 0
    }

    /// One serving thread's life. `slot` is its entry in `deadlines`.
    func serveConnections(slot: Int) {
        let request = FastCGIRequest()
        let idle = IdleWait(listenFD: listenFD, wakeFD: wakeRead)
        defer { idle.close() }
        while !stopping.load(ordering: .sequentiallyConsistent) {
            if request.connectionFD < 0 {
                guard idle.waitForConnection(), let connection = acceptConnection() else { continue }
                request.adopt(connection: connection)
                deadlines.adopt(slot, connection: connection)
            } else if !waitForData(request.connectionFD, timeout: -1) {
                continue
            }
            readAndServe(request, slot: slot)
        }
        // A kept-alive connection is retired only between requests and without a race: the next
        // request that arrives on it within the grace is served and answered so that nginx
        // closes the connection itself (FastCGIRequest.finishRetiringConnection). One that stays
        // idle through the grace is not in use, and is closed.
        let graceEnd = MonotonicTime.now() + retireGrace
        while request.connectionFD >= 0 {
            let remaining = Int32((graceEnd - MonotonicTime.now()) * 1000)
            guard remaining > 0, connectionReadable(request.connectionFD, timeout: remaining) else { break }
            readAndServe(request, slot: slot)
        }
        if request.connectionFD >= 0 { request.closeConnection() }
        deadlines.release(slot)
        liveThreads.subtract(1, ordering: .sequentiallyConsistent)
    }

    /// Reads one request within the read timeout and answers it; releases the connection's
    /// watch descriptor once libfcgi has closed the connection.
    func readAndServe(_ request: FastCGIRequest, slot: Int) {
        deadlines.start(slot)
        if request.readNextRequest() { serve(request, slot: slot) }
        deadlines.clear(slot)
        if request.connectionFD < 0 { deadlines.release(slot) }
    }

    func serve(_ request: FastCGIRequest, slot: Int) {
        busyThreads.add(1, ordering: .sequentiallyConsistent)
        // The request has fully arrived when the handler is called: its own time (database,
        // object store) has its own timeouts and is not the read timeout's business.
        let outcome = RequestExchange.respond(
            params: request.params, limits: limits, requestIDs: requestIDs, readBody: request.readBody,
            handler: { [deadlines, handler] in deadlines.clear(slot); return handler($0) })
        request.write(GatewayResponse.serialize(outcome.response))
        if !outcome.bodyConsumed { request.discardBody(limit: Worker.discardLimit) }
        if stopping.load(ordering: .sequentiallyConsistent) && request.connectionFD >= 0 {
            request.finishRetiringConnection()
        } else {
            request.finish()
        }
        busyThreads.subtract(1, ordering: .sequentiallyConsistent)
    }

    /// Whether `fd` has data (or end of stream) within `timeout` ms, the stop pipe ignored.
    func connectionReadable(_ fd: Int32, timeout: Int32) -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return Syscall.retrying { poll(&poller, 1, timeout) } > 0
    }

    /// A new connection, or nil when another thread took it first.
    func acceptConnection() -> Int32? {
        let connection = accept(listenFD, nil, nil)
        guard connection >= 0 else {
            if errno != EAGAIN && errno != EINTR && errno != ECONNABORTED {
                ServerLog.event("accept failed: \(ServerLog.lastError)")
                usleep(10_000) // e.g. EMFILE: do not spin
            }
            return nil
        }
        // libfcgi writes a response in several small records; on TCP, Nagle would hold the last.
        var one: Int32 = 1
        setsockopt(connection, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return connection
    }

    /// Whether `fd` has data (or end of stream) before `timeout` ms pass and the worker is not stopping.
    func waitForData(_ fd: Int32, timeout: Int32) -> Bool {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        let ready = poll(&fds, timeout == 0 ? 1 : 2, timeout)
        return ready > 0 && fds[0].revents != 0
    }
}
