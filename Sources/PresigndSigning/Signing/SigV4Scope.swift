import PresigndHTTP
import PresigndSupport

/// The credential scope `yyyymmdd/region/service/aws4_request` a SigV4 signature is bound to.
package struct SigV4Scope: Sendable, Hashable {
    package let date: String
    package let region: String
    package let service: String

    package init(date: String, region: String, service: String) {
        self.date = date
        self.region = region
        self.service = service
    }

    package var text: String { date + "/" + region + "/" + service + "/aws4_request" }
}

/// The pieces of a signature worth showing in a test: what was hashed and what came out.
package struct SigV4Signature: Sendable {
    let canonicalRequestBytes: [UInt8]
    let stringToSignBytes: [UInt8]
    let digest: (UInt64, UInt64, UInt64, UInt64)

    package var canonicalRequest: String { String(decoding: canonicalRequestBytes, as: UTF8.self) }
    package var stringToSign: String { String(decoding: stringToSignBytes, as: UTF8.self) }
    /// Lower-case hex.
    package var signature: String {
        var copy = digest
        return withUnsafeBytes(of: &copy) { Hex.string($0) }
    }
}

/// A signing time as SigV4 writes it (`20260314T150926Z`, `20260314`), formatted without
/// Strings or Foundation because it is on every signature's path.
struct SigV4Time {
    let unixSeconds: UnixSeconds
    private var storage: (UInt64, UInt64) = (0, 0)

    init(_ time: UnixSeconds) {
        unixSeconds = time
        let date = UTCDateTime(time)
        withUnsafeMutableBytes(of: &storage) { out in
            func put(_ value: Int, at offset: Int, width: Int) {
                var rest = value
                for index in stride(from: offset + width - 1, through: offset, by: -1) {
                    out[index] = UInt8(truncatingIfNeeded: 0x30 + rest % 10)
                    rest /= 10
                }
            }
            put(date.year, at: 0, width: 4)
            put(date.month, at: 4, width: 2)
            put(date.day, at: 6, width: 2)
            out[8] = UInt8(ascii: "T")
            put(date.hour, at: 9, width: 2)
            put(date.minute, at: 11, width: 2)
            put(date.second, at: 13, width: 2)
            out[15] = UInt8(ascii: "Z")
        }
    }

    /// Appends `20260314T150926Z`.
    func appendAMZDate(to output: inout [UInt8]) {
        var copy = storage
        withUnsafeBytes(of: &copy) { output.append(contentsOf: $0) }
    }

    var amzDate: String {
        var copy = storage
        return withUnsafeBytes(of: &copy) { String(decoding: $0, as: UTF8.self) }
    }

    /// `20260314` (short enough to live inside the String without an allocation).
    var dateStamp: String {
        var copy = storage
        return withUnsafeBytes(of: &copy) { String(decoding: $0.prefix(8), as: UTF8.self) }
    }
}
