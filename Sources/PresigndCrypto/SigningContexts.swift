import CCrypto
import Synchronization

/// A SHA-256 and an HMAC-SHA256 context kept alive between signatures, because fetching and
/// allocating them per call costs more than the hashing itself (PLATFORM.md: 2.6–3×).
/// One caller at a time: `SigningContextPool` lends each caller its own.
public final class SigningContexts: @unchecked Sendable {
    let digest: OpaquePointer
    let mac: OpaquePointer
    /// The key `mac` was last initialised with; re-initialising with the same key is nearly free.
    var macKey: [UInt8] = []

    public init() {
        digest = EVP_MD_CTX_new()!
        mac = EVP_MAC_CTX_new(HMAC.mac)!
        // OSSL_PARAM keeps the raw C string pointer, so the name must outlive the call.
        "SHA256".withCString { name in
            var params = [
                OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, UnsafeMutablePointer(mutating: name), 0),
                OSSL_PARAM_construct_end(),
            ]
            _ = EVP_MAC_CTX_set_params(mac, &params)
        }
    }

    deinit {
        EVP_MD_CTX_free(digest)
        EVP_MAC_CTX_free(mac)
    }

    /// SHA-256 of `data` written to `output` (32 bytes).
    public func sha256(_ data: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) {
        precondition(output.count >= 32)
        EVP_DigestInit_ex2(digest, FetchedDigests.sha256, nil)
        EVP_DigestUpdate(digest, data.baseAddress, data.count)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(digest, output.baseAddress?.assumingMemoryBound(to: UInt8.self), &length)
    }

    /// SHA-256 of `data`.
    public func sha256(_ data: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 32)
        data.withUnsafeBytes { input in output.withUnsafeMutableBytes { sha256(input, into: $0) } }
        return output
    }

    /// HMAC-SHA256 of `data` under `key`, written to `output` (32 bytes).
    public func hmacSHA256(key: [UInt8], _ data: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) {
        precondition(output.count >= 32)
        if key == macKey {
            EVP_MAC_init(mac, nil, 0, nil)  // NULL key: reuse the prepared inner/outer pads
        } else {
            key.withUnsafeBufferPointer { _ = EVP_MAC_init(mac, $0.baseAddress, $0.count, nil) }
            macKey = key
        }
        EVP_MAC_update(mac, data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count)
        var length = 0
        EVP_MAC_final(mac, output.baseAddress?.assumingMemoryBound(to: UInt8.self), &length, 32)
    }

    /// HMAC-SHA256 of `data` under `key`.
    public func hmacSHA256(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 32)
        data.withUnsafeBytes { input in output.withUnsafeMutableBytes { hmacSHA256(key: key, input, into: $0) } }
        return output
    }
}

/// Lends `SigningContexts` to concurrent callers: each call gets contexts no other thread is
/// using, and gives them back afterwards, so a server thread never allocates on the hot path.
public final class SigningContextPool: Sendable {
    private let idle = Mutex<[SigningContexts]>([])
    private let limit: Int

    /// `limit` caps how many idle contexts are kept (the rest are freed).
    public init(limit: Int = 16) { self.limit = limit }

    public func withContexts<T>(_ body: (SigningContexts) throws -> T) rethrows -> T {
        let contexts = idle.withLock { $0.popLast() } ?? SigningContexts()
        defer {
            idle.withLock { list in
                if list.count < limit { list.append(contexts) }
            }
        }
        return try body(contexts)
    }
}
