internal import CPosixShims
import Glibc
import PresigndHTTP
import PresigndMetrics
import PresigndSupport

/// Signals are blocked in every thread and taken synchronously (sigwait, signalfd), so no code
/// runs inside an asynchronous handler.
enum Signals {
    static let lifecycle: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGCHLD]

    static func set(_ signals: [Int32]) -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        return set
    }

    /// Blocks the lifecycle signals (inherited by forked workers and their threads) and makes
    /// sure none of them is ignored, since an ignored signal is dropped even while blocked.
    static func blockLifecycle() {
        for signal in lifecycle { presignd_default_signal(signal) }
        // A write to a connection nginx closed must fail with EPIPE, not kill the worker.
        presignd_ignore_signal(SIGPIPE)
        var set = set(lifecycle)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// A descriptor that becomes readable when one of `signals` arrives (they must be blocked).
    static func descriptor(for signals: [Int32]) -> Int32 {
        var set = set(signals)
        return signalfd(-1, &set, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
    }

    /// Reads the signals that arrived on a signalfd, oldest first.
    static func drain(_ fd: Int32) -> [Int32] {
        var received: [Int32] = []
        var info = signalfd_siginfo()
        while read(fd, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
            received.append(Int32(info.ssi_signo))
        }
        return received
    }

    /// Asks the kernel to send SIGTERM to this process when its parent dies.
    static func terminateWithParent() {
        presignd_set_parent_death_signal(SIGTERM)
    }
}
