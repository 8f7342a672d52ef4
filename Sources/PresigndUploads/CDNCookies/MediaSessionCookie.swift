import PresigndCrypto
package import PresigndSupport

/// The cookie issued next to the CloudFront cookies that says whose they are and when they were
/// issued. The CloudFront cookies are the same for everyone in a window (one signature serves
/// them all: `CDNCookieWindow`), so they cannot name a user; this one can, and the media route
/// refuses CloudFront cookies without a valid one, so a revocation (`presignd revoke --user`)
/// reaches cookies issued before it. CloudFront itself ignores it.
///
/// Value: `1.<base64url user>.<issued at>.<expires at>.<base64url HMAC-SHA256>`, the MAC over
/// everything before it, keyed by a key derived from the CloudFront private key (the first
/// key signs; every key verifies, so a rotation that keeps the old private key keeps sessions).
package struct MediaSessionCookie: Sendable {
    package static let name = "Presignd-Media"
    /// Longest value read: a 256-byte user id in base64url and the rest.
    static let maxLength = 512

    /// The MAC keys with their pads hashed once (`HMACSHA256Key`): a session is made on every
    /// `POST /api/auth/cdn-cookies` and checked on every media decision.
    let keys: [HMACSHA256Key]

    /// `keys`: MAC keys, the first signs.
    package init(keys: [[UInt8]]) {
        precondition(!keys.isEmpty, "a media session needs a key")
        self.keys = keys.map(HMACSHA256Key.init)
    }

    /// The MAC key for a CloudFront private key (its PEM file's bytes).
    package static func key(fromPrivateKeyPEM pem: [UInt8]) -> [UInt8] {
        HMAC.authenticationCode(.sha256, key: pem, data: Array("presignd media session v1".utf8))
    }

    /// A session's cookie value.
    package func value(user: String, issuedAt: UnixSeconds, expiresAt: UnixSeconds) -> String {
        let signed = "1.\(Base64.encodeURL(Array(user.utf8))).\(issuedAt).\(expiresAt)"
        return signed + "." + Base64.encodeURL(keys[0].authenticate(Array(signed.utf8)))
    }

    /// The user and issue time a value vouches for at `now`; nil for anything else (malformed,
    /// forged, expired).
    package func verify(_ value: String, now: UnixSeconds) -> (user: String, issuedAt: UnixSeconds)? {
        guard value.utf8.count <= Self.maxLength else { return nil }
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "1", let issuedAt = Int64(parts[2]), let expiresAt = Int64(parts[3]),
              now < expiresAt, let mac = Base64.decodeURL(String(parts[4])) else { return nil }
        let signed = Array(value.utf8.dropLast(parts[4].utf8.count + 1))
        guard keys.contains(where: { SecureBytes.constantTimeEquals($0.authenticate(signed), mac) }),
              let userBytes = Base64.decodeURL(String(parts[1])) else { return nil }
        let user = String(decoding: userBytes, as: UTF8.self)
        return Array(user.utf8) == userBytes ? (user, issuedAt) : nil
    }
}
