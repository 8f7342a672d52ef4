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
}

/// Establishes who is making a request. Failures are `APIError`s ready to send: 401 with a
/// `WWW-Authenticate: Bearer …` header for a missing or bad token.
public protocol Authenticator: Sendable {
    func authenticate(_ request: HTTPRequest, now: UnixSeconds) throws(APIError) -> AuthenticatedUser
}
