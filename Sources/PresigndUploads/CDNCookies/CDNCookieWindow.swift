import PresigndCrypto
import PresigndHTTP
import PresigndSigning
package import PresigndSupport

/// CloudFront cookie expiries rounded to a window boundary, so everyone who asks within one
/// window gets the same policy and the same signature: one RSA signature per window instead
/// of one per request. Lifetimes then fall between `lifetime - window` and `lifetime`.
package struct CDNCookieWindow: Sendable, Equatable {
    package let lifetime: Int64
    package let window: Int64

    /// `window` defaults to a tenth of the lifetime, at most five minutes. The lifetime is held
    /// to 1 s…7 days like every other flow expiry.
    package init(lifetime: Int64, window: Int64? = nil) {
        let lifetime = FlowExpiries.bounded(lifetime)
        self.lifetime = lifetime
        self.window = max(1, min(window ?? min(300, lifetime / 10), lifetime))
    }

    /// The expiry for cookies issued at `now`: the start of `now`'s window plus the lifetime.
    package func expiry(at now: UnixSeconds) -> UnixSeconds {
        let start = now >= 0 ? now / window * window : (now - window + 1) / window * window
        return start + lifetime
    }
}

/// `Set-Cookie` values for the CloudFront cookies.
package struct CookieAttributes: Sendable, Equatable {
    package let domain: String
    package let path: String

    package init(domain: String, path: String = "/") {
        self.domain = domain
        self.path = path
    }

    /// `name=value; Domain=…; Path=/; Expires=…; Max-Age=…; HttpOnly; Secure; SameSite=Lax`.
    package func setCookie(name: String, value: String, expiresAt: UnixSeconds, now: UnixSeconds) -> String {
        CookieAttributes.setCookie(prefix: setCookiePrefix(name: name, value: value, expiresAt: expiresAt), expiresAt: expiresAt, now: now)
    }

    /// The part of `setCookie` up to `Max-Age=`, which depends on the cookie and its expiry only
    /// (kept with cookies cached for a window).
    package func setCookiePrefix(name: String, value: String, expiresAt: UnixSeconds) -> String {
        "\(name)=\(value)" + attributesPrefix(expiresAt: expiresAt)
    }

    /// `; Domain=…; Path=/; Expires=…; Max-Age=`: what follows any cookie's value up to its age,
    /// the same for every cookie that expires at `expiresAt` (kept for a window, for the cookie
    /// whose value differs per user).
    package func attributesPrefix(expiresAt: UnixSeconds) -> String {
        "; Domain=\(domain); Path=\(path); Expires=\(UTCDateTime(expiresAt).httpDate); Max-Age="
    }

    /// `setCookie` from its `setCookiePrefix`.
    package static func setCookie(prefix: String, expiresAt: UnixSeconds, now: UnixSeconds) -> String {
        prefix + String(max(0, expiresAt - now)) + "; HttpOnly; Secure; SameSite=Lax"
    }

    /// A `Set-Cookie` that makes the browser drop `name` at once.
    package func clearCookie(name: String) -> String {
        "\(name)=; Domain=\(domain); Path=\(path); Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Secure; SameSite=Lax"
    }
}
