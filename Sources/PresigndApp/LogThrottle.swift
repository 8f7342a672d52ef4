import Synchronization
import PresigndMetrics
import PresigndSigning
package import PresigndSupport
import PresigndUploads

/// Keeps a flood of identical log lines (80,854 "database unavailable" warnings in a 10 s
/// outage) from drowning the log: the first line of a kind goes out at once; repeats within
/// `interval` seconds are only counted, and the next line after the interval (of any kind)
/// first writes one summary per line that was held back, with its count.
package final class LogThrottle: Sendable {
    struct Window {
        var start: UnixSeconds
        var suppressed: Int
    }

    let clock: any Clock
    let interval: Int64
    /// Distinct lines tracked at once; past that, lines are written unthrottled.
    let capacity: Int
    let windows = Mutex<[String: Window]>([:])

    package init(clock: any Clock, interval: Int64 = 10, capacity: Int = 256) {
        self.clock = clock
        self.interval = max(1, interval)
        self.capacity = capacity
    }

    /// What to write for `line` now: summaries of expired windows, and whether `line` itself
    /// goes out (it does not when it repeats one written less than `interval` seconds ago).
    func admit(_ line: String) -> (summaries: [String], line: Bool) {
        let now = clock.now()
        return windows.withLock { windows in
            let out = summaries(&windows, now: now)
            if var window = windows[line], now < window.start + interval {
                window.suppressed += 1
                windows[line] = window
                return (out, false)
            }
            if windows.count < capacity { windows[line] = Window(start: now, suppressed: 0) }
            return (out, true)
        }
    }

    /// Summaries of every line held back in a window that has ended, without a new line.
    package func flush() -> [String] {
        let now = clock.now()
        return windows.withLock { summaries(&$0, now: now) }
    }

    private func summaries(_ windows: inout [String: Window], now: UnixSeconds) -> [String] {
        var out: [String] = []
        for (line, window) in windows where now >= window.start + interval {
            if window.suppressed > 0 {
                out.append("\(line) (repeated \(window.suppressed) more time\(window.suppressed == 1 ? "" : "s") in \(interval) s)")
            }
            windows[line] = nil
        }
        return out.sorted()
    }
}
