internal import CPosixShims
import Glibc
import PresigndSupport

/// How a thread without a connection waits: on the shared listening socket, registered with
/// EPOLLEXCLUSIVE so a new connection wakes one idle thread rather than all of them (with
/// poll(), 2 workers × 16 threads meant 31 useless wake-ups per connection), and on the
/// worker's stop pipe, which wakes everyone.
struct IdleWait {
    let epollFD: Int32
    let wakeFD: Int32

    init(listenFD: Int32, wakeFD: Int32) {
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        self.wakeFD = wakeFD
        if presignd_epoll_add(epollFD, listenFD, 1) != 0 || presignd_epoll_add(epollFD, wakeFD, 0) != 0 {
            ServerLog.event("epoll setup failed: \(ServerLog.lastError)")
        }
    }

    /// True when a connection may be waiting; false when the worker is stopping.
    func waitForConnection() -> Bool {
        let ready = Syscall.retrying { presignd_epoll_wait_one(epollFD, -1) }
        if ready == wakeFD { return false }
        if ready >= 0 { return true }
        ServerLog.event("epoll_wait failed: \(ServerLog.lastError)")
        usleep(10_000)
        return true
    }

    func close() { Glibc.close(epollFD) }
}
