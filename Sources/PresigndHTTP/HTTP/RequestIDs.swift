import Synchronization
import PresigndSupport

/// Request ids made here: 32 hex digits like nginx's `$request_id`, a random prefix drawn when
/// the instance is made and a counter. Each worker makes its own after the fork (the
/// application and the gateway are built there), so ids never repeat across workers.
package final class RequestIDs: Sendable {
    let prefix: String
    let counter = Mutex<UInt64>(0)

    package init() {
        var random: UInt64 = 0
        for _ in 0..<8 { random = random << 8 | UInt64(UInt8.random(in: 0...255)) }
        prefix = RequestIDs.hex(random)
    }

    /// `header` when it is 1–128 characters of `[A-Za-z0-9._:-]` (so it is safe to log and echo),
    /// otherwise a fresh id.
    package func id(from header: String?) -> String {
        if let header, (1...128).contains(header.utf8.count),
           header.utf8.allSatisfy({ ASCII.isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_")
               || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "-") }) {
            return header
        }
        return next()
    }

    package func next() -> String {
        prefix + RequestIDs.hex(counter.withLock { $0 &+= 1; return $0 })
    }

    static func hex(_ value: UInt64) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}
