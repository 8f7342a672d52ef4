internal import CCrypto

/// HMAC through EVP_MAC, fetched once per process.
package enum HMAC {
    // Safe: an EVP_MAC is immutable once fetched and shared read-only across threads.
    nonisolated(unsafe) static let mac: OpaquePointer = EVP_MAC_fetch(nil, "HMAC", nil)!
    // The parameter's name as a C string that lives as long as the process. Passed as the Swift
    // String the macro imports as, it was a temporary freed when OSSL_PARAM_construct_utf8_string
    // returned, and EVP_MAC_init then read freed memory (found by bench/fuzz.sh's jwt harness
    // under AddressSanitizer: heap-use-after-free in OSSL_PARAM_locate). Never written: safe to share.
    nonisolated(unsafe) static let digestParameter: UnsafeMutablePointer<CChar> = strdup(OSSL_MAC_PARAM_DIGEST)!

    /// HMAC of `data` keyed by `key`, using `algorithm` as the hash.
    package static func authenticationCode<Key: Collection, Bytes: Collection>(
        _ algorithm: DigestAlgorithm, key: Key, data: Bytes
    ) -> [UInt8] where Key.Element == UInt8, Bytes.Element == UInt8 {
        guard let ctx = EVP_MAC_CTX_new(mac) else { preconditionFailure("libcrypto: EVP_MAC_CTX_new failed") }
        defer { EVP_MAC_CTX_free(ctx) }
        let keyBytes = Array(key)
        // OSSL_PARAM keeps raw C string pointers, so the name and the value must outlive init.
        algorithm.name.withCString { digestName in
            var params = [
                OSSL_PARAM_construct_utf8_string(digestParameter, UnsafeMutablePointer(mutating: digestName), 0),
                OSSL_PARAM_construct_end(),
            ]
            keyBytes.withUnsafeBufferPointer { keyBuffer in
                LibCrypto.require(EVP_MAC_init(ctx, keyBuffer.baseAddress, keyBuffer.count, &params), "EVP_MAC_init")
            }
        }
        let done: Void? = data.withContiguousStorageIfAvailable { buffer in
            LibCrypto.require(EVP_MAC_update(ctx, buffer.baseAddress, buffer.count), "EVP_MAC_update")
        }
        if done == nil {
            let copy = Array(data)
            copy.withUnsafeBufferPointer { LibCrypto.require(EVP_MAC_update(ctx, $0.baseAddress, $0.count), "EVP_MAC_update") }
        }
        var output = [UInt8](repeating: 0, count: algorithm.outputSize)
        var length = 0
        output.withUnsafeMutableBufferPointer { out in
            LibCrypto.require(EVP_MAC_final(ctx, out.baseAddress, &length, out.count), "EVP_MAC_final")
        }
        precondition(length == algorithm.outputSize, "libcrypto: EVP_MAC_final wrote \(length) bytes")
        return output
    }

    package static func sha256<Key: Collection, Bytes: Collection>(key: Key, data: Bytes) -> [UInt8]
    where Key.Element == UInt8, Bytes.Element == UInt8 {
        authenticationCode(.sha256, key: key, data: data)
    }
}
