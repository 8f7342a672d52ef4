package import PresigndSupport

/// The user a request acts for, established from its credentials.
package struct AuthenticatedUser: Sendable, Equatable {
    /// The stable user id (from the configured claim, `sub` by default).
    package let id: String
    /// Scopes and roles the token grants, for per-route-group checks.
    package let scopes: Set<String>
    /// When the credentials were issued (the token's `iat`), if they say: a revocation refuses
    /// credentials issued before its cutoff, and ones that do not say.
    package let issuedAt: UnixSeconds?

    package init(id: String, scopes: Set<String> = [], issuedAt: UnixSeconds? = nil) {
        self.id = id
        self.scopes = scopes
        self.issuedAt = issuedAt
    }

    /// Longest user id accepted, in UTF-8 bytes.
    package static let maxIDBytes = 256

    /// Whether `id` can be a user id: non-empty, at most 256 bytes, no control character (C0,
    /// DEL, C1) and no invisible format character. Ids are stored and compared as text, and
    /// PostgreSQL parameters end at a NUL, so `bob\u{0}x` would otherwise be stored as `bob`;
    /// a bidi override or a zero-width character lets one id look like another in the audit log.
    package static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= maxIDBytes && id.unicodeScalars.allSatisfy { !isRefusedScalar($0.value) }
    }

    static func isRefusedScalar(_ value: UInt32) -> Bool {
        switch value {
        case 0x00...0x1F, 0x7F...0x9F: return true     // C0, DEL, C1 controls
        case 0x061C, 0x180E: return true               // Arabic letter mark, Mongolian vowel separator
        case 0x200B...0x200F: return true              // zero-width space/non-joiner/joiner, LRM, RLM
        case 0x2028, 0x2029: return true               // line and paragraph separators
        case 0x202A...0x202E: return true              // bidi embeddings and overrides
        case 0x2060...0x2064, 0x2066...0x2069: return true  // word joiner, invisible operators, bidi isolates
        case 0xFEFF: return true                       // zero-width no-break space (BOM)
        default: return false
        }
    }
}

/// Establishes who is making a request. Failures are `APIError`s ready to send: 401 with a
/// `WWW-Authenticate: Bearer …` header for a missing or bad token.
package protocol Authenticator: Sendable {
    func authenticate(_ request: HTTPRequest, now: UnixSeconds) throws(APIError) -> AuthenticatedUser

    /// For a route that changes state (or not) whatever its method: an authenticator that
    /// accepts ambient credentials (a cookie) refuses a state-changing request that could come
    /// from another site. By default the same as `authenticate(_:now:)`.
    func authenticate(_ request: HTTPRequest, now: UnixSeconds, changesState: Bool) throws(APIError) -> AuthenticatedUser
}

extension Authenticator {
    package func authenticate(_ request: HTTPRequest, now: UnixSeconds, changesState: Bool) throws(APIError) -> AuthenticatedUser {
        try authenticate(request, now: now)
    }
}
