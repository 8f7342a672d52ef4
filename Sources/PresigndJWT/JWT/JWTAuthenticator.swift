import PresigndCrypto
package import PresigndHTTP
package import PresigndSupport

/// The app's `Authenticator` for JWTs: finds the token, verifies it, and turns a refusal into
/// the RFC 6750 response. Logs why a token was refused, never the token.
package struct JWTAuthenticator: Authenticator {
    package let verifier: JWTVerifier
    package let cookieName: String?
    let log: @Sendable (String) -> Void

    package init(verifier: JWTVerifier, cookieName: String? = nil, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.verifier = verifier
        self.cookieName = cookieName
        self.log = log
    }

    /// A request with no route to say otherwise changes state unless it is a GET, HEAD or OPTIONS.
    package func authenticate(_ request: HTTPRequest, now: UnixSeconds) throws(APIError) -> AuthenticatedUser {
        try authenticate(request, now: now, changesState: !HTTPRequest.safeMethods.contains(request.method))
    }

    package func authenticate(_ request: HTTPRequest, now: UnixSeconds, changesState: Bool) throws(APIError) -> AuthenticatedUser {
        let token = try BearerToken.extract(from: request, cookieName: cookieName)
        if changesState && request.headers["Authorization"] == nil { try JWTAuthenticator.checkCookieRequest(request) }
        do {
            return try verifier.verify(token, now: now)
        } catch {
            log("bearer token refused: \(error.rawValue)")
            throw BearerError.invalidToken(error)
        }
    }

    /// A cookie travels with a cross-site request, a bearer header never does. A page on
    /// another site can send a form (urlencoded, multipart, text/plain) or a body-less request
    /// without a preflight, but never a custom header: so a state-changing request that
    /// authenticates by the cookie must carry `X-Requested-With`, which only a script of an
    /// allowed origin (CORS) or of the same origin can add.
    package static let cookieRequestHeader = "X-Requested-With"

    static func checkCookieRequest(_ request: HTTPRequest) throws(APIError) {
        guard let value = request.headers[cookieRequestHeader], !value.isEmpty else {
            throw APIError(status: 403, code: .crossSiteRequest,
                           message: "this \(request.method) changes state: authenticated by the cookie, it must carry the \(cookieRequestHeader) header (or send Authorization: Bearer)")
        }
    }
}
