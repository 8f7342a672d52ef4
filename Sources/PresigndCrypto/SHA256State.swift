internal import CCrypto

/// SHA-256 as a value: no allocation, copyable mid-stream (libcrypto's SHA256_CTX).
package struct SHA256State: @unchecked Sendable {
    // @unchecked: a plain C struct of integers and a byte buffer, copied by value.
    var context = SHA256_CTX()

    package init() { LibCrypto.require(presignd_sha256_init(&context), "SHA256_Init") }

    /// Hashes more bytes.
    package mutating func update(_ bytes: UnsafeRawBufferPointer) {
        LibCrypto.require(presignd_sha256_update(&context, bytes.baseAddress, bytes.count), "SHA256_Update")
    }

    /// Hashes more bytes.
    package mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Writes the 32-byte digest to `output`; the state is spent afterwards.
    package mutating func finalize(into output: UnsafeMutableRawBufferPointer) {
        precondition(output.count >= 32)
        LibCrypto.require(presignd_sha256_final(output.baseAddress!.assumingMemoryBound(to: UInt8.self), &context), "SHA256_Final")
    }

    /// The 32-byte digest; the state is spent afterwards.
    package mutating func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        digest.withUnsafeMutableBytes { finalize(into: $0) }
        return digest
    }
}

/// An HMAC-SHA256 key with its inner and outer pads already hashed (RFC 2104), so each MAC
/// costs only the message's blocks plus one more: the form SigV4's daily signing key is kept in.
package struct HMACSHA256Key: Sendable {
    let inner: SHA256State
    let outer: SHA256State

    package init(_ key: [UInt8]) {
        var block = key.count > 64 ? {
            var state = SHA256State()
            state.update(key)
            return state.finalize()
        }() : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        var inner = SHA256State(), outer = SHA256State()
        inner.update(block.map { $0 ^ 0x36 })
        outer.update(block.map { $0 ^ 0x5C })
        self.inner = inner
        self.outer = outer
    }

    /// HMAC of `message` written to `output` (32 bytes).
    package func authenticate(_ message: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) {
        var state = inner
        state.update(message)
        var innerDigest = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &innerDigest) { digest in
            state.finalize(into: digest)
            var outerState = outer
            outerState.update(UnsafeRawBufferPointer(digest))
            outerState.finalize(into: output)
        }
    }

    /// HMAC of `message`.
    package func authenticate(_ message: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 32)
        message.withUnsafeBytes { input in output.withUnsafeMutableBytes { authenticate(input, into: $0) } }
        return output
    }
}
