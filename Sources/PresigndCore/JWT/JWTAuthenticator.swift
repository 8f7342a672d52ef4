/// The app's `Authenticator` for JWTs: finds the token, verifies it, and turns a refusal into
/// the RFC 6750 response. Logs why a token was refused, never the token.
public struct JWTAuthenticator: Authenticator {
    public let verifier: JWTVerifier
    public let cookieName: String?
    let log: @Sendable (String) -> Void

    public init(verifier: JWTVerifier, cookieName: String? = nil, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.verifier = verifier
        self.cookieName = cookieName
        self.log = log
    }

    public func authenticate(_ request: HTTPRequest, now: UnixSeconds) throws(APIError) -> AuthenticatedUser {
        let token = try BearerToken.extract(from: request, cookieName: cookieName)
        do {
            return try verifier.verify(token, now: now)
        } catch {
            log("bearer token refused: \(error.rawValue)")
            throw BearerError.invalidToken(error)
        }
    }
}
