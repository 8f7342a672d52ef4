#if canImport(Glibc)
import Glibc
#endif

/// The one place that retries a system call a signal interrupted (EINTR), and the whole-buffer
/// reads and writes built on it, instead of a hand-written loop at every call.
package enum Syscall {
    /// Calls `body` again while it fails with EINTR; returns its first other result.
    package static func retrying<Result: BinaryInteger>(_ body: () -> Result) -> Result {
        while true {
            let result = body()
            if result < 0 && errno == EINTR { continue }
            return result
        }
    }

    /// Writes all of `bytes` to `fd`; false when a write fails or writes nothing.
    @discardableResult
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = retrying { write(fd, bytes.baseAddress! + offset, bytes.count - offset) }
            if written <= 0 { return false }
            offset += written
        }
        return true
    }

    @discardableResult
    package static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { writeAll(fd, $0) }
    }

    /// Up to `count` bytes from `fd`, fewer when it ends (or fails) first.
    package static func read(_ fd: Int32, count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes { buffer in retrying { Glibc.read(fd, buffer.baseAddress! + filled, count - filled) } }
            if got <= 0 { break }
            filled += got
        }
        bytes.removeLast(count - filled)
        return bytes
    }
}
