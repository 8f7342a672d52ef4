import Glibc
import Synchronization
import PresigndMetrics
import PresigndSupport

/// The read timeout (issue 13, defect 2): libfcgi reads a request with blocking reads, so 40
/// connections that send BEGIN_REQUEST and half their PARAMS held every serving thread for
/// good. Each thread registers a deadline when a request starts to arrive and clears it when
/// the request is in (just before the handler runs); a watchdog thread shuts down the
/// connection of any thread past its deadline, which makes its blocked read return.
/// Idle kept-alive connections wait in poll() with no deadline registered.
final class ReadDeadlines: Sendable {
    struct Slot {
        /// A dup() of the connection, owned by the serving thread: the watchdog's shutdown()
        /// can never reach a descriptor number libfcgi closed and accept() handed out again.
        var watchFD: Int32 = -1
        var deadline: Double = .infinity
    }

    let timeout: Double
    let slots: Mutex<[Slot]>

    init(threads: Int, timeout: Double) {
        self.timeout = timeout
        slots = Mutex([Slot](repeating: Slot(), count: threads))
    }

    /// A new connection for `slot`'s thread.
    func adopt(_ slot: Int, connection: Int32) {
        let watch = dup(connection)
        slots.withLock { $0[slot] = Slot(watchFD: watch, deadline: .infinity) }
    }

    /// A request starts to arrive on `slot`'s connection.
    func start(_ slot: Int) {
        let deadline = MonotonicTime.now() + timeout
        slots.withLock { $0[slot].deadline = deadline }
    }

    /// The request has arrived (or the connection is gone).
    func clear(_ slot: Int) {
        slots.withLock { $0[slot].deadline = .infinity }
    }

    /// The connection of `slot` is closed: release the watch descriptor.
    func release(_ slot: Int) {
        let watch = slots.withLock { slots in
            defer { slots[slot] = Slot() }
            return slots[slot].watchFD
        }
        if watch >= 0 { close(watch) }
    }

    /// Shuts down every connection past its deadline; returns how many.
    func expire(now: Double) -> Int {
        slots.withLock { slots in
            var expired = 0
            for index in slots.indices where slots[index].deadline <= now && slots[index].watchFD >= 0 {
                shutdown(slots[index].watchFD, Int32(SHUT_RDWR))
                slots[index].deadline = .infinity
                expired += 1
            }
            return expired
        }
    }

    /// Runs the watchdog on its own thread for the life of the process.
    func startWatchdog(seconds: Int) -> Bool {
        Threads.start { [self] in
            while true {
                usleep(100_000)
                let expired = expire(now: MonotonicTime.now())
                if expired > 0 {
                    ServerLog.event("closed \(expired) connection(s) whose request did not arrive within \(seconds) s")
                }
            }
        }
    }
}
