import PresigndCrypto
package import PresigndHTTP
package import PresigndSupport

/// What a token's claims must satisfy (RFC 7519 §4.1), checked after its signature.
package struct ClaimsPolicy: Sendable, Equatable {
    /// When set, `iss` must equal one of these.
    package var issuers: [String]
    /// When set, `aud` (a string or an array) must contain one of these.
    package var audiences: [String]
    /// Seconds of clock skew tolerated on `exp`, `nbf` and `iat`.
    package var leeway: Int64
    package var requireExpiry: Bool
    /// The claim holding the user id; a dotted path (`realm_access.id`) reaches into objects.
    package var userClaim: String
    /// Claims whose values are scopes or roles: a space-separated string or an array of strings.
    package var scopeClaims: [String]
    /// When set, `exp` is required and may lie at most this many seconds (plus the leeway)
    /// after now: a token that never expires (`exp` = 2^63−1) is refused.
    package var maxLifetime: Int64?

    package static let defaultScopeClaims = ["scope", "scp", "permissions", "roles"]

    package init(issuers: [String] = [], audiences: [String] = [], leeway: Int64 = 60, requireExpiry: Bool = true,
                userClaim: String = "sub", scopeClaims: [String] = ClaimsPolicy.defaultScopeClaims, maxLifetime: Int64? = nil) {
        self.issuers = issuers
        self.audiences = audiences
        self.leeway = leeway
        self.requireExpiry = requireExpiry
        self.userClaim = userClaim
        self.scopeClaims = scopeClaims
        self.maxLifetime = maxLifetime
    }

    /// The user a set of verified claims describes, if the claims hold at `now`.
    package func validate(_ claims: JSONObject, now: UnixSeconds) throws(JWTRefusal) -> AuthenticatedUser {
        let expiry = try time(claims, "exp")
        let notBefore = try time(claims, "nbf")
        let issuedAt = try time(claims, "iat")
        if expiry == nil && (requireExpiry || maxLifetime != nil) { throw .missingExp }
        if let expiry, now - leeway >= expiry { throw .expired }
        if let expiry, let maxLifetime, expiry - now > maxLifetime + leeway { throw .lifetimeTooLong }
        if let notBefore, now + leeway < notBefore { throw .notYetValid }
        if let issuedAt, now + leeway < issuedAt { throw .issuedInFuture }
        if !issuers.isEmpty {
            guard let issuer = claims["iss"]?.stringValue, issuers.contains(issuer) else { throw .wrongIssuer }
        }
        if !audiences.isEmpty {
            let granted: [String]
            switch claims["aud"] {
            case .string(let one): granted = [one]
            case .array(let many): granted = many.compactMap(\.stringValue)
            default: granted = []
            }
            guard granted.contains(where: audiences.contains) else { throw .wrongAudience }
        }
        return AuthenticatedUser(id: try userID(claims), scopes: scopes(claims), issuedAt: issuedAt)
    }

    /// A NumericDate: seconds, possibly fractional (RFC 7519 §2); fractions are dropped.
    func time(_ claims: JSONObject, _ name: String) throws(JWTRefusal) -> UnixSeconds? {
        guard let value = claims[name] else { return nil }
        switch value {
        case .int(let seconds): return seconds
        case .double(let seconds) where abs(seconds) < 1e15: return UnixSeconds(seconds.rounded(.down))
        default: throw .badTimeClaim
        }
    }

    /// A non-empty printable id of at most 256 bytes; numbers are accepted for custom claims.
    func userID(_ claims: JSONObject) throws(JWTRefusal) -> String {
        let id: String
        switch lookup(claims, userClaim) {
        case .string(let text): id = text
        case .int(let number): id = String(number)
        default: throw .missingUser
        }
        guard AuthenticatedUser.isValidID(id) else { throw .missingUser }
        return id
    }

    func scopes(_ claims: JSONObject) -> Set<String> {
        var scopes: Set<String> = []
        for name in scopeClaims {
            switch lookup(claims, name) {
            case .string(let text): scopes.formUnion(text.split(separator: " ").map(String.init))
            case .array(let items): scopes.formUnion(items.compactMap(\.stringValue))
            default: break
            }
        }
        return scopes
    }

    /// The claim named exactly `name` (namespaced claims contain dots: `https://example.com/roles`),
    /// else the dotted path into nested objects (Keycloak's `realm_access.roles`).
    func lookup(_ claims: JSONObject, _ name: String) -> JSONValue? {
        if let value = claims[name] { return value }
        // A name without a dot is a path of one part: the lookup above was all of it.
        guard name.utf8.contains(UInt8(ascii: ".")) else { return nil }
        var current: JSONValue? = .object(claims)
        for part in name.split(separator: ".", omittingEmptySubsequences: false) {
            current = current?[String(part)]
        }
        return current
    }
}
