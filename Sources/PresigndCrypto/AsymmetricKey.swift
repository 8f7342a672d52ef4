internal import CCrypto

/// The family of an asymmetric key, read from the key itself (never from a token or request).
package enum KeyFamily: Sendable, Equatable {
    case rsa(bits: Int)
    case ec(curve: String)  // "P-256", "P-384", …
    case ed25519
    case other(String)
}

/// RSA padding schemes used for signatures.
package enum RSAPadding: Sendable {
    case pkcs1v15
    /// PSS with the salt as long as the digest, as JWS PS256/384/512 require.
    case pss
}

package enum CryptoError: Error, Equatable, CustomStringConvertible {
    case unreadableKey(String)
    case signingFailed(String)

    package var description: String {
        switch self {
        case .unreadableKey(let why): return "the key could not be read: \(why)"
        case .signingFailed(let why): return "signing failed: \(why)"
        }
    }
}

/// Owns an EVP_PKEY. Immutable after loading; EVP_PKEY is safe to use from several threads
/// for signing and verifying as long as each operation has its own context, which we create per call.
package final class AsymmetricKey: @unchecked Sendable {
    let pkey: OpaquePointer
    package let family: KeyFamily
    package let isPrivate: Bool

    init(takingOwnershipOf pkey: OpaquePointer, isPrivate: Bool) {
        self.pkey = pkey
        self.isPrivate = isPrivate
        self.family = AsymmetricKey.family(of: pkey)
    }

    deinit { EVP_PKEY_free(pkey) }

    /// A private key from PEM (PKCS#1 "RSA PRIVATE KEY", SEC1 "EC PRIVATE KEY" or PKCS#8).
    package static func privateKey(pem: String) throws -> AsymmetricKey {
        let key: OpaquePointer? = withMemoryBIO(pem) { bio in PEM_read_bio_PrivateKey(bio, nil, refusePassphrase, nil) }
        guard let key else { throw CryptoError.unreadableKey("not a PEM private key (\(lastOpenSSLError()))") }
        return AsymmetricKey(takingOwnershipOf: key, isPrivate: true)
    }

    /// A public key from PEM: SubjectPublicKeyInfo ("PUBLIC KEY"), PKCS#1 ("RSA PUBLIC KEY"),
    /// or a certificate, whose public key is taken.
    package static func publicKey(pem: String) throws -> AsymmetricKey {
        if let key = withMemoryBIO(pem, { bio in PEM_read_bio_PUBKEY(bio, nil, refusePassphrase, nil) }) {
            return AsymmetricKey(takingOwnershipOf: key, isPrivate: false)
        }
        if let rsa = withMemoryBIO(pem, { bio in PEM_read_bio_RSAPublicKey(bio, nil, refusePassphrase, nil) }) {
            guard let key = EVP_PKEY_new() else { RSA_free(rsa); throw CryptoError.unreadableKey("out of memory") }
            guard EVP_PKEY_assign(key, EVP_PKEY_RSA, UnsafeMutableRawPointer(rsa)) == 1 else {
                RSA_free(rsa)
                EVP_PKEY_free(key)
                throw CryptoError.unreadableKey("not a usable RSA key (\(lastOpenSSLError()))")
            }
            return AsymmetricKey(takingOwnershipOf: key, isPrivate: false)
        }
        if let cert = withMemoryBIO(pem, { bio in PEM_read_bio_X509(bio, nil, refusePassphrase, nil) }) {
            defer { X509_free(cert) }
            if let key = X509_get_pubkey(cert) {
                return AsymmetricKey(takingOwnershipOf: key, isPrivate: false)
            }
        }
        throw CryptoError.unreadableKey("not a PEM public key or certificate (\(lastOpenSSLError()))")
    }

    /// The public half as SubjectPublicKeyInfo PEM.
    package func publicKeyPEM() -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { preconditionFailure("libcrypto: BIO_new failed") }
        defer { BIO_free(bio) }
        LibCrypto.require(PEM_write_bio_PUBKEY(bio, pkey), "PEM_write_bio_PUBKEY")
        return readAll(bio)
    }

    /// Signs `message`; `digest` is nil for Ed25519, which hashes internally.
    /// ECDSA signatures come back DER-encoded, as libcrypto produces them.
    package func sign(_ message: [UInt8], digest: DigestAlgorithm?, padding: RSAPadding = .pkcs1v15) throws -> [UInt8] {
        guard isPrivate else { throw CryptoError.signingFailed("a public key cannot sign") }
        guard let ctx = EVP_MD_CTX_new() else { throw CryptoError.signingFailed("out of memory") }
        defer { EVP_MD_CTX_free(ctx) }
        var pctx: OpaquePointer? = nil
        guard EVP_DigestSignInit(ctx, &pctx, digest?.md, nil, pkey) == 1 else {
            throw CryptoError.signingFailed(lastOpenSSLError())
        }
        if case .rsa = family, padding == .pss {
            guard let pctx, presignd_EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0,
                  presignd_EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0
            else { throw CryptoError.signingFailed("cannot select PSS padding (\(lastOpenSSLError()))") }
        }
        var length = 0
        let ok = message.withUnsafeBufferPointer { msg -> Bool in
            guard EVP_DigestSign(ctx, nil, &length, msg.baseAddress, msg.count) == 1 else { return false }
            return true
        }
        guard ok else { throw CryptoError.signingFailed(lastOpenSSLError()) }
        var signature = [UInt8](repeating: 0, count: length)
        let signed = message.withUnsafeBufferPointer { msg in
            signature.withUnsafeMutableBufferPointer { out in
                EVP_DigestSign(ctx, out.baseAddress, &length, msg.baseAddress, msg.count)
            }
        }
        guard signed == 1 else { throw CryptoError.signingFailed(lastOpenSSLError()) }
        return Array(signature.prefix(length))
    }

    /// Verifies `signature` over `message`; ECDSA signatures must be DER-encoded here.
    package func verify(_ signature: [UInt8], message: [UInt8], digest: DigestAlgorithm?, padding: RSAPadding = .pkcs1v15) -> Bool {
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        var pctx: OpaquePointer? = nil
        guard EVP_DigestVerifyInit(ctx, &pctx, digest?.md, nil, pkey) == 1 else {
            ERR_clear_error()
            return false
        }
        // A PSS key left on PKCS#1 v1.5 padding would verify the wrong scheme: refuse instead.
        if case .rsa = family, padding == .pss {
            guard let pctx, presignd_EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0,
                  presignd_EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0
            else {
                ERR_clear_error()
                return false
            }
        }
        let result = signature.withUnsafeBufferPointer { sig in
            message.withUnsafeBufferPointer { msg in
                EVP_DigestVerify(ctx, sig.baseAddress, sig.count, msg.baseAddress, msg.count)
            }
        }
        ERR_clear_error()
        return result == 1
    }

    private static func family(of pkey: OpaquePointer) -> KeyFamily {
        if EVP_PKEY_is_a(pkey, "RSA") == 1 || EVP_PKEY_is_a(pkey, "RSA-PSS") == 1 {
            return .rsa(bits: Int(EVP_PKEY_get_bits(pkey)))
        }
        if EVP_PKEY_is_a(pkey, "ED25519") == 1 { return .ed25519 }
        if EVP_PKEY_is_a(pkey, "EC") == 1 {
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            // An unreadable group is no curve any algorithm accepts: the key is refused.
            guard EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, &name, name.count, &length) == 1 else {
                return .other("EC")
            }
            let group = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            switch group {
            case "prime256v1", "P-256": return .ec(curve: "P-256")
            case "secp384r1", "P-384": return .ec(curve: "P-384")
            case "secp521r1", "P-521": return .ec(curve: "P-521")
            default: return .ec(curve: group)
            }
        }
        return .other(String(cString: EVP_PKEY_get0_type_name(pkey)))
    }
}

/// Passed to every PEM read: with a nil callback libcrypto asks for a passphrase on the
/// terminal (or reads one from stdin), which would block a server or consume its input.
/// An encrypted key is refused instead.
let refusePassphrase: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = { _, _, _, _ in -1 }

func withMemoryBIO<T>(_ text: String, _ body: (OpaquePointer) -> T?) -> T? {
    var bytes = Array(text.utf8)
    return bytes.withUnsafeMutableBytes { raw -> T? in
        guard let bio = presignd_BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
        defer { BIO_free(bio) }
        return body(bio)
    }
}

func readAll(_ bio: OpaquePointer) -> String {
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = chunk.withUnsafeMutableBytes { BIO_read(bio, $0.baseAddress, Int32($0.count)) }
        if n <= 0 { break }
        output.append(contentsOf: chunk.prefix(Int(n)))
    }
    return String(decoding: output, as: UTF8.self)
}

/// The newest libcrypto error as text, and the queue cleared so it cannot leak into a later call.
func lastOpenSSLError() -> String {
    let code = ERR_get_error()
    ERR_clear_error()
    guard code != 0 else { return "no detail from libcrypto" }
    var buffer = [CChar](repeating: 0, count: 256)
    ERR_error_string_n(code, &buffer, buffer.count)
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
