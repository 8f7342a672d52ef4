import Glibc
import PresigndHTTP
import PresigndMetrics
import PresigndSupport

/// The `NAME=value` C strings of a NULL-terminated array (libfcgi's `envp`, or the CGI process's
/// environment) as borrowed params; entries without `=` are skipped. Valid while the array is.
struct EnvironmentParams: Sequence {
    let entries: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?

    struct Iterator: IteratorProtocol {
        var entry: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?

        mutating func next() -> RawGatewayParam? {
            while let current = entry, let pair = current.pointee {
                entry = current + 1
                let length = strlen(pair)
                let bytes = UnsafeRawPointer(pair).assumingMemoryBound(to: UInt8.self)
                guard let equals = memchr(bytes, Int32(UInt8(ascii: "=")), length) else { continue }
                let nameLength = UnsafeRawPointer(equals) - UnsafeRawPointer(bytes)
                return RawGatewayParam(name: UnsafeBufferPointer(start: bytes, count: nameLength),
                                       value: UnsafeBufferPointer(start: bytes + nameLength + 1, count: length - nameLength - 1))
            }
            return nil
        }
    }

    func makeIterator() -> Iterator { Iterator(entry: entries) }
}
