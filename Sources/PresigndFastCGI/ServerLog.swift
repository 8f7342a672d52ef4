import Glibc
import PresigndHTTP
import PresigndMetrics
import PresigndSupport

/// One line per event on stderr, written with write(2) so lines from several workers and threads
/// do not interleave. Callers never pass tokens, signatures or query strings.
package enum ServerLog {
    /// One JSON object per line (`PRESIGND_LOG_FORMAT=json`); set once at start, before the
    /// first fork and before any thread.
    nonisolated(unsafe) package static var json = false

    static func event(_ message: String) {
        var line: String
        if json {
            let object: JSONObject = ["time": .string(WallTime.iso8601Milliseconds()), "level": "info", "event": .string(message),
                                      "pid": .int(Int64(getpid()))]
            line = JSONValue.object(object).serialized() + "\n"
        } else {
            line = "presignd[\(getpid())]: \(message)\n"
        }
        line.withUTF8 { Syscall.writeAll(2, UnsafeRawBufferPointer($0)) }
    }

    /// The text of the current errno, for messages about system calls.
    static var lastError: String { String(cString: strerror(errno)) }
}
