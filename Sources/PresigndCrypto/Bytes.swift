internal import CCrypto

package enum SecureBytes {
    /// Cryptographically secure random bytes from libcrypto's DRBG.
    package static func random(count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let ok = bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        precondition(ok == 1, "libcrypto's random generator failed")
        return bytes
    }

    /// Random bytes from the kernel (getrandom(2)), for identifiers made per request: one system
    /// call, where libcrypto's generator costs several thousand instructions of bookkeeping per
    /// call (its fork check included); safe across fork by construction. Fails closed.
    package static func systemRandom(count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let status = bytes.withUnsafeMutableBytes { presignd_getrandom($0.baseAddress, count) }
        precondition(status == 0, "the kernel's random generator failed")
        return bytes
    }

    /// Compares in time that depends only on the lengths, so a forger learns nothing from timing.
    package static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.isEmpty { return true }
        return lhs.withUnsafeBufferPointer { l in
            rhs.withUnsafeBufferPointer { r in CRYPTO_memcmp(l.baseAddress, r.baseAddress, l.count) == 0 }
        }
    }
}
