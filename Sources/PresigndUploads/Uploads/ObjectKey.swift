import PresigndCrypto
import PresigndHTTP
import PresigndSigning
import PresigndSupport

/// Object keys for uploads: `{prefix}/{userSegment}/{fileId}{ext}`.
package enum ObjectKey {
    package static func make(purpose: UploadPurpose, userSegment: String, fileID: String, fileName: String) -> String {
        "\(purpose.prefix)/\(userSegment)/\(fileID)\(FileName.keyExtension(fileName))"
    }

    /// The file id inside a key this type made (the UUID that starts its last segment).
    package static func fileID(in key: String) -> String? {
        guard let last = key.split(separator: "/", omittingEmptySubsequences: false).last, last.utf8.count >= 36 else { return nil }
        let id = String(last.prefix(36))
        return UUIDv4.isValid(id) ? id.lowercased() : nil
    }
}

/// RFC 4122 version-4 UUIDs from 16 random bytes (passed in, so tests are reproducible).
package enum UUIDv4 {
    /// A fresh document id from the kernel's generator (getrandom(2)): the application's id generator.
    @Sendable package static func random() -> String {
        make(randomBytes: SecureBytes.systemRandom(count: 16))
    }

    /// `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx` in lower case.
    package static func make(randomBytes: [UInt8]) -> String {
        precondition(randomBytes.count == 16, "a UUID needs 16 random bytes")
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 36) { out in
            digits.withUTF8Buffer { hex in
                var count = 0
                for index in 0..<16 {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        out[count] = UInt8(ascii: "-")
                        count += 1
                    }
                    var byte = randomBytes[index]
                    if index == 6 { byte = (byte & 0x0F) | 0x40 }
                    if index == 8 { byte = (byte & 0x3F) | 0x80 }
                    out[count] = hex[Int(byte >> 4)]
                    out[count + 1] = hex[Int(byte & 0x0F)]
                    count += 2
                }
                return count
            }
        }
    }

    /// Whether `text` is a lower- or upper-case UUID in the canonical 8-4-4-4-12 form.
    package static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                guard PercentEncoding.hexValue(byte) != nil else { return false }
            }
        }
        return true
    }
}
