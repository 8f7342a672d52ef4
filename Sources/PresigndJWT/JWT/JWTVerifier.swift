import PresigndCrypto
package import PresigndHTTP
package import PresigndSupport

/// Verifies a compact JWT: shape, then key selection and signature, then claims at `now`.
/// Nothing from the claims is believed before the signature holds.
package struct JWTVerifier: Sendable {
    package let keys: KeySet
    package let jwks: JWKSKeySource?
    package let policy: ClaimsPolicy
    /// The protected headers this verifier has read (see `ProtectedHeader.Cache`).
    let headers = ProtectedHeader.Cache()

    package init(keys: KeySet, jwks: JWKSKeySource? = nil, policy: ClaimsPolicy) {
        self.keys = keys
        self.jwks = jwks
        self.policy = policy
    }

    package func verify(_ token: String, now: UnixSeconds) throws(JWTRefusal) -> AuthenticatedUser {
        let jws = try CompactJWS.parse(token, headers: headers)
        try verifySignature(jws, now: now)
        guard let claims = try? JSONParser(rejectDuplicateKeys: true, maxDepth: 16).parse(jws.payload).objectValue else {
            throw .claimsInvalid
        }
        return try policy.validate(claims, now: now)
    }

    /// Checks the signature alone, for a JWS whose payload need not be claims.
    package func verifySignature(_ jws: CompactJWS, now: UnixSeconds) throws(JWTRefusal) {
        for key in try candidates(for: jws, now: now) where key.verify(jws.signature, over: jws.signingInput) {
            return
        }
        throw .badSignature
    }

    /// Configured keys first; the JWKS URL is asked only when they have nothing for this
    /// token, and its answer follows the same rule (a `kid` names its key or nothing).
    func candidates(for jws: CompactJWS, now: UnixSeconds) throws(JWTRefusal) -> [VerificationKey] {
        do {
            return try keys.candidates(keyID: jws.keyID, algorithm: jws.algorithm)
        } catch {
            guard let jwks, error == .unknownKid || error == .noKeyForAlg else { throw error }
            guard let remote = jwks.keys(for: jws.keyID, now: now) else { throw .keysUnavailable }
            return try remote.candidates(keyID: jws.keyID, algorithm: jws.algorithm)
        }
    }
}
