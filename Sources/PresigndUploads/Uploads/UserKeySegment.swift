import PresigndCrypto
import PresigndHTTP
import PresigndSigning
import PresigndSupport

/// Maps a token's user id (`auth0|123`, `alice@example.com`, even `../bob`) to one object-key
/// segment, so no user can ever be signed into another user's prefix.
///
/// Letters, digits, `-` and `_` stay; `.` stays unless it starts the id or follows another
/// `.` (so the result is never `.` or `..`, nor contains `..`); every other byte of the UTF-8
/// text becomes `~XX` (upper-case hex), `~` included. Decoding `~XX` back gives the id, so the
/// mapping is injective: two different ids never share a segment. Long ids (over 200 bytes
/// encoded) become `~~` and the SHA-256 of the id in lower-case hex, which no escape produces.
package enum UserKeySegment {
    static let hexDigits = Array("0123456789ABCDEF".utf8)
    static let maxEncodedBytes = 200

    /// The segment for `userID`; nil for an empty id, which no token should carry.
    package static func make(_ userID: String, sha256: ([UInt8]) -> [UInt8]) -> String? {
        guard !userID.isEmpty else { return nil }
        var output: [UInt8] = []
        var previous: UInt8? = nil
        for byte in userID.utf8 {
            let keep: Bool
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                keep = true
            case UInt8(ascii: "."):
                keep = previous != nil && previous != UInt8(ascii: ".")
            default:
                keep = false
            }
            if keep {
                output.append(byte)
            } else {
                output.append(UInt8(ascii: "~"))
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            }
            previous = byte
        }
        if output.count > maxEncodedBytes {
            return "~~" + Hex.encode(sha256(Array(userID.utf8)))
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The segment for `userID`, hashing long ids with SHA-256.
    package static func make(_ userID: String) -> String? {
        make(userID, sha256: { Digest.sha256($0) })
    }

    /// The id a short-form segment came from; nil for hashed or malformed segments. Used by
    /// tests to prove the mapping reversible.
    package static func decode(_ segment: String) -> String? {
        guard !segment.hasPrefix("~~") else { return nil }
        var bytes: [UInt8] = []
        var iterator = Array(segment.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "~") {
                guard let high = iterator.next(), let low = iterator.next(),
                      let h = hexDigits.firstIndex(of: high), let l = hexDigits.firstIndex(of: low) else { return nil }
                bytes.append(UInt8(h << 4 | l))
            } else {
                bytes.append(byte)
            }
        }
        return UTF8Text.validating(bytes)
    }
}
