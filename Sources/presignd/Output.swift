#if canImport(Glibc)
import Glibc
#endif

/// Writes to stdout/stderr with write(2): touching the C `stdout` global is a Swift 6
/// concurrency error, and unbuffered writes keep log lines whole between worker processes.
enum Output {
    static func out(_ text: String) { write(fd: 1, text) }
    static func err(_ text: String) { write(fd: 2, text) }

    static func write(fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        if bytes.last != 0x0A { bytes.append(0x0A) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }
}
