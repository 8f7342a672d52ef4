internal import CCrypto

/// A hash function libcrypto implements, fetched once and shared (EVP_MD objects are immutable).
package struct DigestAlgorithm: Sendable, Hashable {
    package let name: String
    package let outputSize: Int

    /// Only for S3's `Content-MD5` integrity header, which some bucket calls require; never for security.
    package static let md5 = DigestAlgorithm(name: "MD5", outputSize: 16)
    package static let sha1 = DigestAlgorithm(name: "SHA1", outputSize: 20)
    package static let sha256 = DigestAlgorithm(name: "SHA256", outputSize: 32)
    package static let sha384 = DigestAlgorithm(name: "SHA384", outputSize: 48)
    package static let sha512 = DigestAlgorithm(name: "SHA512", outputSize: 64)

    var md: OpaquePointer {
        switch name {
        case "MD5": return FetchedDigests.md5
        case "SHA1": return FetchedDigests.sha1
        case "SHA256": return FetchedDigests.sha256
        case "SHA384": return FetchedDigests.sha384
        default: return FetchedDigests.sha512
        }
    }
}

/// Fetching an EVP_MD is a lock-protected lookup; doing it once per process is what makes
/// hashing 2–3× faster than the one-shot helpers (PLATFORM.md).
enum FetchedDigests {
    // Safe: EVP_MD objects are reference-counted, immutable and usable from any thread.
    nonisolated(unsafe) static let md5: OpaquePointer = EVP_MD_fetch(nil, "MD5", nil)!
    nonisolated(unsafe) static let sha1: OpaquePointer = EVP_MD_fetch(nil, "SHA1", nil)!
    nonisolated(unsafe) static let sha256: OpaquePointer = EVP_MD_fetch(nil, "SHA256", nil)!
    nonisolated(unsafe) static let sha384: OpaquePointer = EVP_MD_fetch(nil, "SHA384", nil)!
    nonisolated(unsafe) static let sha512: OpaquePointer = EVP_MD_fetch(nil, "SHA512", nil)!
}

package enum Digest {
    /// The digest of `data` under `algorithm`.
    package static func hash<Bytes: Collection>(_ algorithm: DigestAlgorithm, _ data: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var output = [UInt8](repeating: 0, count: algorithm.outputSize)
        guard let ctx = EVP_MD_CTX_new() else { preconditionFailure("libcrypto: EVP_MD_CTX_new failed") }
        defer { EVP_MD_CTX_free(ctx) }
        LibCrypto.require(EVP_DigestInit_ex2(ctx, algorithm.md, nil), "EVP_DigestInit_ex2")
        update(ctx, data)
        var length: UInt32 = 0
        output.withUnsafeMutableBufferPointer { out in
            LibCrypto.require(EVP_DigestFinal_ex(ctx, out.baseAddress, &length), "EVP_DigestFinal_ex")
        }
        precondition(Int(length) == algorithm.outputSize, "libcrypto: EVP_DigestFinal_ex wrote \(length) bytes")
        return output
    }

    package static func sha256<Bytes: Collection>(_ data: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        hash(.sha256, data)
    }

    static func update<Bytes: Collection>(_ ctx: OpaquePointer, _ data: Bytes) where Bytes.Element == UInt8 {
        let done: Void? = data.withContiguousStorageIfAvailable { buffer in
            LibCrypto.require(EVP_DigestUpdate(ctx, buffer.baseAddress, buffer.count), "EVP_DigestUpdate")
        }
        if done == nil {
            let copy = Array(data)
            copy.withUnsafeBufferPointer { LibCrypto.require(EVP_DigestUpdate(ctx, $0.baseAddress, $0.count), "EVP_DigestUpdate") }
        }
    }
}
