import PresigndHTTP
import PresigndSupport

/// Why a token was refused. The raw value is the RFC 6750 `error_description`: short, stable,
/// and free of anything from the token itself (only %x20-21 / %x23-5B / %x5D-7E characters).
package enum JWTRefusal: String, Error, Sendable, CaseIterable {
    // Shape of the token.
    case tooLarge = "token too large"
    case malformed = "token is not three base64url parts"
    case headerInvalid = "token header is not a JSON object with unique fields"
    case missingAlg = "token header has no alg"
    case algNone = "alg none is not accepted"
    case unsupportedAlg = "token alg is not supported"
    case unsupportedCrit = "token header has crit extensions"
    /// RFC 7797 unencoded payloads are not supported, so any `b64` header is refused.
    case unsupportedB64 = "token header has b64"
    case badKid = "token kid is not a string"
    // Key and signature.
    case unknownKid = "no key has the token's kid"
    case noKeyForAlg = "no key is configured for the token's alg"
    case algMismatch = "token alg does not match the key"
    case badSignature = "signature is invalid"
    /// Not the token's fault: the JWKS URL never answered, so nothing can be verified (503).
    case keysUnavailable = "the identity provider's keys are unavailable"
    // Claims.
    case claimsInvalid = "token claims are not a JSON object with unique fields"
    case missingExp = "token has no exp"
    case badTimeClaim = "exp, nbf or iat is not a number"
    case expired = "token expired"
    case lifetimeTooLong = "token lives longer than the maximum lifetime"
    case notYetValid = "token not yet valid"
    case issuedInFuture = "token issued in the future"
    case wrongIssuer = "wrong issuer"
    case wrongAudience = "wrong audience"
    case missingUser = "token has no usable user id claim"
    /// The user's access was revoked (`presignd revoke --user`) after this token was issued,
    /// or the token does not say when it was issued.
    case revoked = "token issued before the user's access was revoked; sign in again"
}
