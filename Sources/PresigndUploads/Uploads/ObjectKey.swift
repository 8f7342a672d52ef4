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
        return DocumentID.isValid(id) ? id.lowercased() : nil
    }
}

/// Document ids: RFC 9562 version-7 UUIDs, the Unix time in milliseconds followed by 74 random
/// bits. New ids sort after older ones, so each insert lands at the right edge of the indexes
/// that hold them (the primary key, an owner's object keys, the audit log's resources) instead of
/// on a random leaf page of a table of millions; ids made before were version 4, and both are
/// accepted wherever an id is read.
package enum DocumentID {
    /// A fresh id: the wall clock's milliseconds and 10 random bytes from the kernel (getrandom(2)).
    @Sendable package static func random() -> String {
        make(milliseconds: WallTime.unixMilliseconds(), randomBytes: SecureBytes.systemRandom(count: 10))
    }

    /// `tttttttt-tttt-7rrr-yrrr-rrrrrrrrrrrr` in lower case: 48 bits of `milliseconds`, then the
    /// version, the variant and `randomBytes` (10 of them; 74 of their bits are kept).
    package static func make(milliseconds: UInt64, randomBytes: [UInt8]) -> String {
        precondition(randomBytes.count == 10, "a version-7 UUID takes 10 random bytes")
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index))) }
        bytes.replaceSubrange(6..<16, with: randomBytes)
        bytes[6] = (bytes[6] & 0x0F) | 0x70
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return text(bytes)
    }

    /// The canonical 8-4-4-4-12 lower-case text of 16 bytes.
    static func text(_ bytes: [UInt8]) -> String {
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 36) { out in
            digits.withUTF8Buffer { hex in
                var count = 0
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        out[count] = UInt8(ascii: "-")
                        count += 1
                    }
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
