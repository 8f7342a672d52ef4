import Glibc
import PresigndHTTP
import PresigndMetrics
import PresigndSupport

/// The `NAME=value` C strings of a NULL-terminated array (libfcgi's `envp`, or the CGI process's
/// environment) lent one at a time; entries without `=` are skipped. Valid while the array is.
struct EnvironmentParams: GatewayParams {
    let entries: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?

    func forEachParam(_ body: (borrowing RawGatewayParam) -> Bool) {
        var entry = entries
        while let current = entry, let pair = current.pointee {
            entry = current + 1
            let length = strlen(pair)
            let bytes = UnsafeRawPointer(pair).assumingMemoryBound(to: UInt8.self)
            guard let equals = memchr(bytes, Int32(UInt8(ascii: "=")), length) else { continue }
            let nameLength = UnsafeRawPointer(equals) - UnsafeRawPointer(bytes)
            let name = UnsafeBufferPointer(start: bytes, count: nameLength)
            let value = UnsafeBufferPointer(start: bytes + nameLength + 1, count: length - nameLength - 1)
            guard body(RawGatewayParam(name: name.span, value: value.span)) else { return }
        }
    }
}
