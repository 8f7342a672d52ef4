import PresigndSupport

/// The keys a verifier trusts, and the one rule for choosing among them:
/// a token with a `kid` may only use the keys with that `kid` (never a default key), and a token
/// without one may only use keys that have no `kid` either. The chosen key's bound algorithm
/// must then equal the token's `alg`.
package struct KeySet: Sendable {
    package let keys: [VerificationKey]

    package init(_ keys: [VerificationKey]) { self.keys = keys }

    package var isEmpty: Bool { keys.isEmpty }

    /// Whether some key carries `keyID`.
    package func contains(keyID: String) -> Bool { keys.contains { $0.keyID == keyID } }

    /// The keys a token may be verified with, or why there are none.
    package func candidates(keyID: String?, algorithm: JWSAlgorithm) throws(JWTRefusal) -> [VerificationKey] {
        let named = keys.filter { $0.keyID == keyID }
        if named.isEmpty { throw keyID == nil ? .noKeyForAlg : .unknownKid }
        let matching = named.filter { $0.algorithm == algorithm }
        if matching.isEmpty { throw keyID == nil ? .noKeyForAlg : .algMismatch }
        return matching
    }

    /// This set followed by `other`'s keys.
    package func merged(with other: KeySet) -> KeySet { KeySet(keys + other.keys) }
}
