package import PresigndCrypto
import PresigndHTTP

/// The JWS algorithms presignd verifies (RFC 7518 §3, RFC 8037 §3.1). `none` is not one of
/// them, so a token that names it can never reach a key.
package enum JWSAlgorithm: String, Sendable, CaseIterable, Hashable {
    case hs256 = "HS256", hs384 = "HS384", hs512 = "HS512"
    case rs256 = "RS256", rs384 = "RS384", rs512 = "RS512"
    case ps256 = "PS256", ps384 = "PS384", ps512 = "PS512"
    case es256 = "ES256", es384 = "ES384"
    case edDSA = "EdDSA"

    /// The algorithm a JOSE `alg` value names. RFC 9864's fully-specified "Ed25519" is the same
    /// primitive as "EdDSA" with an Ed25519 key, so both spellings reach the one algorithm.
    package static func named(_ name: String) -> JWSAlgorithm? {
        name == "Ed25519" ? .edDSA : JWSAlgorithm(rawValue: name)
    }

    /// Families never mix: a key loaded for one family cannot verify another's tokens.
    package enum Family: Sendable, Equatable {
        case hmac, rsaPKCS1, rsaPSS, ecdsa, edDSA
    }

    package var family: Family {
        switch self {
        case .hs256, .hs384, .hs512: return .hmac
        case .rs256, .rs384, .rs512: return .rsaPKCS1
        case .ps256, .ps384, .ps512: return .rsaPSS
        case .es256, .es384: return .ecdsa
        case .edDSA: return .edDSA
        }
    }

    /// The hash; nil for EdDSA, which hashes internally.
    package var digest: DigestAlgorithm? {
        switch self {
        case .hs256, .rs256, .ps256, .es256: return .sha256
        case .hs384, .rs384, .ps384, .es384: return .sha384
        case .hs512, .rs512, .ps512: return .sha512
        case .edDSA: return nil
        }
    }

    /// The curve an ECDSA algorithm is defined on, and its coordinate size in bytes.
    package var curve: (name: String, coordinateSize: Int)? {
        switch self {
        case .es256: return ("P-256", 32)
        case .es384: return ("P-384", 48)
        default: return nil
        }
    }

    /// Whether a loaded asymmetric key is of the kind this algorithm needs. RSA keys must
    /// have at least 2048 bits (RFC 7518 §3.3).
    package func accepts(_ family: KeyFamily) -> Bool {
        switch (self.family, family) {
        case (.rsaPKCS1, .rsa(let bits)), (.rsaPSS, .rsa(let bits)): return bits >= 2048
        case (.ecdsa, .ec(let name)): return name == curve?.name
        case (.edDSA, .ed25519): return true
        default: return false
        }
    }
}
