/// The user a request acts for, established from its credentials.
public struct AuthenticatedUser: Sendable, Equatable {
    /// The stable user id (from the configured claim, `sub` by default).
    public let id: String
    /// Scopes and roles the token grants, for per-route-group checks.
    public let scopes: Set<String>
    public init(id: String, scopes: Set<String> = []) {
        self.id = id
        self.scopes = scopes
    }

    /// Longest user id accepted, in UTF-8 bytes.
    public static let maxIDBytes = 256

    /// Whether `id` can be a user id: non-empty, at most 256 bytes, no C0 control character or
    /// DEL. Ids are stored and compared as text, and PostgreSQL parameters end at a NUL, so
    /// `bob\u{0}x` would otherwise be stored as `bob`.
    public static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= maxIDBytes && id.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }
    }
}

/// Establishes who is making a request. Failures are `APIError`s ready to send: 401 with a
/// `WWW-Authenticate: Bearer …` header for a missing or bad token.
public protocol Authenticator: Sendable {
    func authenticate(_ request: HTTPRequest, now: UnixSeconds) throws(APIError) -> AuthenticatedUser
}
