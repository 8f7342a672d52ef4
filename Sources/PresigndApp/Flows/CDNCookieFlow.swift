import Synchronization
package import PresigndHTTP
import PresigndJWT
import PresigndMetrics
import PresigndSigning
import PresigndSupport
package import PresigndUploads

/// `POST /api/auth/cdn-cookies` and `POST /api/auth/logout`: CloudFront signed cookies for
/// the configured CDN with the user's media session cookie beside them (`MediaSessionCookie`:
/// whose they are and since when, for revocations), and clearing them.
///
/// The policy depends only on the resource and the expiry, and expiries are rounded to a
/// window (`CDNCookieWindow`), so one RSA signature (about 1 ms) serves every caller in that
/// window: the cookie triple is cached until the window moves on.
package final class CDNCookieFlow: Sendable {
    static let cookieNames = ["CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"]

    let cdn: CDNConfig
    let window: CDNCookieWindow
    let signer: any CDNCookieSigner
    let store: any DocumentStore
    let attributes: CookieAttributes
    let session: MediaSessionCookie
    let revocations: any Revocations
    /// The key the cookies are signed with: refused while retired.
    let keyPairID: String
    /// The window's signed cookies, each with its `Set-Cookie` up to `Max-Age=`, and the
    /// attributes that follow the media session cookie's value (which differs per user).
    let cache = Mutex<Window?>(nil)

    struct Window {
        let expiresAt: UnixSeconds
        let prefixes: [String]
        let sessionAttributes: String
    }

    package init(cdn: CDNConfig, lifetime: Int64, signer: any CDNCookieSigner, store: any DocumentStore,
                session: MediaSessionCookie, revocations: any Revocations, keyPairID: String) {
        self.cdn = cdn
        self.session = session
        self.revocations = revocations
        self.keyPairID = keyPairID
        self.window = CDNCookieWindow(lifetime: lifetime)
        self.signer = signer
        self.store = store
        self.attributes = CookieAttributes(domain: cdn.cookieDomain)
    }

    package var routes: [Route<Endpoint>] {
        let auth = RouteGroup("/api/auth", access: .user)
        return [
            RouteGroup("/api/auth", access: .user, scopes: "cdn").route("POST", "/cdn-cookies") { [self] in try issue($0) },
            auth.route("POST", "/logout") { [self] in try logout($0) },
        ]
    }

    func issue(_ context: RequestContext) throws -> HTTPResponse {
        let user = try context.requireUser()
        guard !revocations.isRetired(cdnKey: keyPairID) else {
            throw APIError(status: 500, code: .signingFailed,
                           message: "the CloudFront signing key is retired (presignd revoke --cdn-key); the operator must configure a new one")
        }
        let expiresAt = window.expiry(at: context.now)
        let window = try signedCookies(expiresAt: expiresAt)
        try store.record(AuditEntry(actor: user.id, action: .cdnCookies, resource: "cdn:\(cdn.domain)",
                                    clientAddress: context.request.remoteAddress, at: context.now))
        var headers = HTTPHeaders()
        for prefix in window.prefixes {
            headers.add("Set-Cookie", CookieAttributes.setCookie(prefix: prefix, expiresAt: expiresAt, now: context.now))
        }
        let sessionPrefix = MediaSessionCookie.name + "=" + session.value(user: user.id, issuedAt: context.now, expiresAt: expiresAt)
            + window.sessionAttributes
        headers.add("Set-Cookie", CookieAttributes.setCookie(prefix: sessionPrefix, expiresAt: expiresAt, now: context.now))
        return .json(["expiresAt": .string(UTCDateTime(expiresAt).iso8601)], headers: headers)
    }

    func logout(_ context: RequestContext) throws -> HTTPResponse {
        _ = try context.requireUser()
        var headers = HTTPHeaders()
        for name in CDNCookieFlow.cookieNames + [MediaSessionCookie.name] { headers.add("Set-Cookie", attributes.clearCookie(name: name)) }
        return .json(["ok": true], headers: headers)
    }

    /// The cached window for `expiresAt`, signing only when the window has moved on. Two
    /// threads crossing into a new window at once may both sign; that costs one extra
    /// signature and never a wrong cookie, and keeps the lock out of the 1 ms signing.
    func signedCookies(expiresAt: UnixSeconds) throws -> Window {
        if let hit = cache.withLock({ $0 }), hit.expiresAt == expiresAt { return hit }
        let cookies = try signer.cookies(resource: cdn.resource, expiresAt: expiresAt)
        let window = Window(expiresAt: expiresAt,
                            prefixes: cookies.map { attributes.setCookiePrefix(name: $0.name, value: $0.value, expiresAt: expiresAt) },
                            sessionAttributes: attributes.attributesPrefix(expiresAt: expiresAt))
        cache.withLock { current in
            if current == nil || current!.expiresAt < expiresAt { current = window }
        }
        return window
    }
}
