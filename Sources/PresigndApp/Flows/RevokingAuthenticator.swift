package import PresigndHTTP
import PresigndJWT
package import PresigndSupport

/// The app's authenticator with revocations: a token of a revoked user issued before the
/// cutoff is refused on every route (401 `invalid_token`, reason `revoked`), like an expired one.
package struct RevokingAuthenticator: Authenticator {
    let base: any Authenticator
    let revocations: any Revocations
    let log: @Sendable (String) -> Void

    package init(_ base: any Authenticator, revocations: any Revocations, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.base = base
        self.revocations = revocations
        self.log = log
    }

    package func authenticate(_ request: HTTPRequest, now: UnixSeconds) throws(APIError) -> AuthenticatedUser {
        try check(base.authenticate(request, now: now))
    }

    package func authenticate(_ request: HTTPRequest, now: UnixSeconds, changesState: Bool) throws(APIError) -> AuthenticatedUser {
        try check(base.authenticate(request, now: now, changesState: changesState))
    }

    func check(_ user: AuthenticatedUser) throws(APIError) -> AuthenticatedUser {
        guard revocations.revokes(user: user.id, issuedAt: user.issuedAt) else { return user }
        log("bearer token refused: \(JWTRefusal.revoked.rawValue)")
        throw BearerError.invalidToken(.revoked)
    }
}
