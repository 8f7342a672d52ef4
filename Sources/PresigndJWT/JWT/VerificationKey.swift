package import PresigndCrypto
import PresigndHTTP
import PresigndSupport

/// Why a key could not be loaded; names the key's source, never its material.
package struct KeyLoadError: Error, Sendable, Equatable, CustomStringConvertible {
    package let problem: String
    package init(_ problem: String) { self.problem = problem }
    package var description: String { problem }
}

/// A key bound to exactly one algorithm when it is loaded. The token's `alg` is only ever
/// compared with that binding, so it can never switch the key to another family.
package struct VerificationKey: Sendable, CustomStringConvertible {
    enum Material: Sendable {
        /// HS256's key is also kept keyed (its inner and outer states), so a token costs two
        /// SHA-256 runs and no EVP_MAC set-up.
        case secret([UInt8], HMACSHA256Key?)
        case asymmetric(AsymmetricKey)
    }

    package let algorithm: JWSAlgorithm
    package let keyID: String?
    let material: Material

    /// An HMAC secret for HS256/384/512; at least as long as the hash output (RFC 7518 §3.2).
    package static func hmac(_ secret: [UInt8], algorithm: JWSAlgorithm, keyID: String? = nil) throws(KeyLoadError) -> VerificationKey {
        guard algorithm.family == .hmac, let digest = algorithm.digest else {
            throw KeyLoadError("a secret can only be bound to HS256, HS384 or HS512")
        }
        guard secret.count >= digest.outputSize else {
            throw KeyLoadError("an \(algorithm.rawValue) secret must be at least \(digest.outputSize) bytes, got \(secret.count)")
        }
        return VerificationKey(algorithm: algorithm, keyID: keyID, material: .secret(secret, algorithm == .hs256 ? HMACSHA256Key(secret) : nil))
    }

    /// A public key for an RSA, ECDSA or EdDSA algorithm that fits its type and size.
    package static func publicKey(_ key: AsymmetricKey, algorithm: JWSAlgorithm, keyID: String? = nil) throws(KeyLoadError) -> VerificationKey {
        guard algorithm.family != .hmac else { throw KeyLoadError("a public key cannot be bound to \(algorithm.rawValue)") }
        guard algorithm.accepts(key.family) else {
            throw KeyLoadError("a \(describe(key.family)) key cannot verify \(algorithm.rawValue)")
        }
        return VerificationKey(algorithm: algorithm, keyID: keyID, material: .asymmetric(key))
    }

    /// A public key from PEM (SubjectPublicKeyInfo, PKCS#1 or a certificate).
    package static func publicKey(pem: String, algorithm: JWSAlgorithm, keyID: String? = nil) throws(KeyLoadError) -> VerificationKey {
        let key: AsymmetricKey
        do { key = try AsymmetricKey.publicKey(pem: pem) } catch { throw KeyLoadError("not a PEM public key or certificate") }
        return try publicKey(key, algorithm: algorithm, keyID: keyID)
    }

    /// Checks `signature` over `signingInput`. The caller has already matched `alg` to this key.
    package func verify(_ signature: [UInt8], over signingInput: [UInt8]) -> Bool {
        switch material {
        case .secret(let secret, let keyed):
            guard let digest = algorithm.digest else { return false }
            let expected = keyed?.authenticate(signingInput) ?? HMAC.authenticationCode(digest, key: secret, data: signingInput)
            return SecureBytes.constantTimeEquals(expected, signature)
        case .asymmetric(let key):
            switch algorithm.family {
            case .rsaPKCS1:
                return key.verify(signature, message: signingInput, digest: algorithm.digest, padding: .pkcs1v15)
            case .rsaPSS:
                return key.verify(signature, message: signingInput, digest: algorithm.digest, padding: .pss)
            case .ecdsa:
                // JOSE sends fixed-length r||s; a DER signature has the wrong length and is refused here.
                guard let size = algorithm.curve?.coordinateSize,
                      let der = ECDSASignature.der(fromRaw: signature, coordinateSize: size)
                else { return false }
                return key.verify(der, message: signingInput, digest: algorithm.digest)
            case .edDSA:
                return key.verify(signature, message: signingInput, digest: nil)
            case .hmac:
                return false
            }
        }
    }

    /// Algorithm and kid only: the default description would print an HMAC secret's bytes
    /// (and anything holding a key, a `KeySet` or a `JWTConfig`, with it).
    package var description: String {
        let kind: String
        switch material {
        case .secret: kind = "secret: ******"
        case .asymmetric(let key): kind = VerificationKey.describe(key.family) + " public key"
        }
        return "VerificationKey(\(algorithm.rawValue), kid: \(keyID.map { "\"\($0)\"" } ?? "none"), \(kind))"
    }

    static func describe(_ family: KeyFamily) -> String {
        switch family {
        case .rsa(let bits): return "\(bits)-bit RSA"
        case .ec(let curve): return "\(curve) EC"
        case .ed25519: return "Ed25519"
        case .other(let name): return name
        }
    }
}
