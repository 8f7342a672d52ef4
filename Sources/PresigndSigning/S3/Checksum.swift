import PresigndCrypto
package import PresigndHTTP
import PresigndSupport

/// A digest of a file's bytes that the store itself checks when the bytes arrive: each is sent
/// by the client as a header presignd signs, so the store refuses any other bytes (a checksum in
/// a presigned URL's query is ignored by AWS for PutObject; POST forms bind none that the stores
/// tested here check).
package enum ChecksumAlgorithm: String, Sendable, CaseIterable {
    /// SHA-256 (`x-amz-checksum-sha256`): AWS, MinIO and R2 check it; Ceph RGW 16 ignores it.
    case sha256 = "SHA256"
    /// MD5 (`Content-MD5`): every S3 implementation checks it.
    case md5 = "MD5"

    /// The header that carries the digest, base64, as the client must send it.
    package var header: String {
        switch self {
        case .sha256: return "x-amz-checksum-sha256"
        case .md5: return "Content-MD5"
        }
    }

    /// The presign request's field for it (S3's own names).
    package var field: String {
        switch self {
        case .sha256: return "checksumSHA256"
        case .md5: return "contentMD5"
        }
    }

    /// The digest's length in bytes, and the algorithm's name in messages.
    package var digestLength: Int { self == .sha256 ? 32 : 16 }
    package var name: String { self == .sha256 ? "SHA-256" : "MD5" }
}

/// The digest a client declared, checked for shape (base64 of exactly the algorithm's length).
package struct DeclaredChecksum: Sendable, Equatable {
    package let algorithm: ChecksumAlgorithm
    /// Standard base64 of the digest.
    package let value: String

    package init(_ algorithm: ChecksumAlgorithm, base64 value: String) throws(APIError) {
        guard let digest = Base64.decode(value), digest.count == algorithm.digestLength else {
            throw APIError.badRequest(.invalidField, "the field \"\(algorithm.field)\" must be the base64 of the file's "
                                      + "\(algorithm.digestLength)-byte \(algorithm.name) digest")
        }
        self.algorithm = algorithm
        self.value = value
    }

    /// The row's `checksum` column: `SHA256:<base64>`.
    package var stored: String { "\(algorithm.rawValue):\(value)" }

    package init?(stored: String) {
        guard let colon = stored.firstIndex(of: ":"), let algorithm = ChecksumAlgorithm(rawValue: String(stored[..<colon])),
              let checksum = try? DeclaredChecksum(algorithm, base64: String(stored[stored.index(after: colon)...])) else { return nil }
        self = checksum
    }

    /// Of the checksums a client declared, the one the store checks (the first of `verified`, the
    /// store's in order of preference); nil when none was declared. A declaration the store can
    /// check none of is refused: presignd never lets a checksum look bound when it is not.
    package static func binding(_ declared: [DeclaredChecksum], verified: [ChecksumAlgorithm],
                                store: String) throws(APIError) -> DeclaredChecksum? {
        guard !declared.isEmpty else { return nil }
        for algorithm in verified {
            if let checksum = declared.first(where: { $0.algorithm == algorithm }) { return checksum }
        }
        let fields = verified.map { "\"\($0.field)\"" }.joined(separator: " or ")
        throw APIError.badRequest(.checksumNotChecked, "the \(store) store does not check \(declared.map { "\"\($0.algorithm.field)\"" }.joined(separator: ", "))"
                                  + (verified.isEmpty ? "; send no checksum" : "; send \(fields) instead"))
    }
}

/// What presign or multipart create bound into an upload, as its row keeps it: a whole-file
/// digest (a single upload: `SHA256:<base64>`) or the algorithm each part's digest is signed
/// with (a multipart upload: `SHA256`).
package enum BoundChecksum: Sendable, Equatable {
    case whole(DeclaredChecksum)
    case parts(ChecksumAlgorithm)

    package init?(stored: String) {
        if let algorithm = ChecksumAlgorithm(rawValue: stored) {
            self = .parts(algorithm)
        } else if let whole = DeclaredChecksum(stored: stored) {
            self = .whole(whole)
        } else {
            return nil
        }
    }

    package var stored: String {
        switch self {
        case .whole(let checksum): return checksum.stored
        case .parts(let algorithm): return algorithm.rawValue
        }
    }

    /// The algorithm every part declares its digest with; nil for a whole-file digest.
    package var partAlgorithm: ChecksumAlgorithm? {
        if case .parts(let algorithm) = self { return algorithm }
        return nil
    }
}

extension BoundChecksum {
    /// The composite SHA-256 S3 keeps of a multipart object made from parts with these digests
    /// (part number → base64): the SHA-256 of the parts' raw digests in part order, then
    /// `-<parts>`; nil when a digest is missing or not one.
    package static func composite(of parts: [Int: String]) -> String? {
        guard !parts.isEmpty else { return nil }
        var joined: [UInt8] = []
        for number in parts.keys.sorted() {
            guard let value = parts[number], let digest = Base64.decode(value), digest.count == ChecksumAlgorithm.sha256.digestLength else { return nil }
            joined += digest
        }
        return Base64.encode(Digest.sha256(joined)) + "-\(parts.count)"
    }
}
