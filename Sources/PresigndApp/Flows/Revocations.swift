import Synchronization
package import PresigndHTTP
import PresigndJWT
package import PresigndSupport
package import PresigndUploads

/// What a revocation applies to: a user (every credential issued to them before the cutoff)
/// or a CloudFront signing key (every cookie it signed).
package enum RevocationSubject: Sendable, Hashable {
    case user(String)
    case cdnKey(String)

    /// The `kind` column and the first word of the announcement.
    package var kind: String {
        switch self {
        case .user: return "user"
        case .cdnKey: return "cdn_key"
        }
    }

    package var name: String {
        switch self {
        case .user(let id), .cdnKey(let id): return id
        }
    }

    /// The audit row's resource and action.
    package var auditResource: String { kind == "user" ? "user:\(name)" : "cdn-key:\(name)" }
    package var auditAction: AuditAction { kind == "user" ? .userRevoke : .cdnKeyRetire }

    package init?(kind: String, name: String) {
        switch kind {
        case "user": self = .user(name)
        case "cdn_key": self = .cdnKey(name)
        default: return nil
        }
    }
}

/// The cutoffs every request is checked against, as this process last heard them. Reading one
/// never touches the database: `PostgresRevocations` keeps them from a `LISTEN`.
package protocol Revocations: Sendable {
    /// Credentials of `subject` issued before this time are refused; nil when never revoked.
    func cutoff(_ subject: RevocationSubject) -> UnixSeconds?
}

extension Revocations {
    /// Whether credentials of `user` issued at `issuedAt` are revoked. Credentials that do not
    /// say when they were issued are revoked once the user has a cutoff.
    package func revokes(user: String, issuedAt: UnixSeconds?) -> Bool {
        guard let cutoff = cutoff(.user(user)) else { return false }
        return (issuedAt ?? .min) < cutoff
    }

    /// Whether cookies signed with this CloudFront key pair are refused.
    package func isRetired(cdnKey keyPairID: String) -> Bool { cutoff(.cdnKey(keyPairID)) != nil }
}

/// Records revocations: the cutoff, its audit row, and the announcement every process hears.
package protocol RevocationStore: Sendable {
    /// Revokes `subject` from `cutoff` on (a later cutoff already recorded is kept) and
    /// answers the cutoff in force.
    func revoke(_ subject: RevocationSubject, cutoff: UnixSeconds, reason: String?, audit: AuditEntry) throws -> UnixSeconds
}

extension RevocationSubject {
    /// The cutoff of a revocation made at `now`: the next whole second, so credentials issued
    /// during the second of the revocation (whose `iat` cannot tell before from after) are refused too.
    package static func cutoff(revokedAt now: UnixSeconds) -> UnixSeconds { now + 1 }
}

/// Revocations in memory: the tests' store, and a process's own view when nothing is configured.
package final class MemoryRevocations: Revocations, RevocationStore {
    let cutoffs = Mutex<[RevocationSubject: UnixSeconds]>([:])
    let audits = Mutex<[AuditEntry]>([])

    package init() {}

    /// The audit entries recorded so far.
    package var recorded: [AuditEntry] { audits.withLock { $0 } }

    package func cutoff(_ subject: RevocationSubject) -> UnixSeconds? { cutoffs.withLock { $0[subject] } }

    package func revoke(_ subject: RevocationSubject, cutoff: UnixSeconds, reason: String?, audit: AuditEntry) throws -> UnixSeconds {
        audits.withLock { $0.append(audit) }
        return cutoffs.withLock { cutoffs in
            let kept = max(cutoffs[subject] ?? cutoff, cutoff)
            cutoffs[subject] = kept
            return kept
        }
    }
}

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

/// `POST /api/admin/revocations`: what `presignd revoke` does, for an operator's tool. The
/// route group `admin` requires the scope `presignd:admin` unless `PRESIGND_JWT_SCOPES_ADMIN`
/// names others.
///
/// Body: `{"user": "…", "reason": "…"}` or `{"cdnKey": "K…", "reason": "…"}`; answers the
/// cutoff and how soon every process applies it.
package struct RevocationFlow: Sendable {
    let store: any RevocationStore

    package init(store: any RevocationStore) {
        self.store = store
    }

    /// Every process applies a revocation within this many seconds (README: the guarantee).
    package static let effectiveWithinSeconds: Int64 = 1

    package var routes: [Route<Endpoint>] {
        [RouteGroup("/api/admin", access: .user, scopes: "admin").route("POST", "/revocations") { try revoke($0) }]
    }

    func revoke(_ context: RequestContext) throws -> HTTPResponse {
        let admin = try context.requireUser()
        let body = try JSONBody.parse(context.request)
        let subject: RevocationSubject
        switch (try body.optionalString("user", maxLength: AuthenticatedUser.maxIDBytes), try body.optionalString("cdnKey", maxLength: 128)) {
        case (let user?, nil):
            guard AuthenticatedUser.isValidID(user) else {
                throw APIError.badRequest(.invalidUser, "user must be a user id: 1 to \(AuthenticatedUser.maxIDBytes) bytes, no control characters")
            }
            subject = .user(user)
        case (nil, let key?):
            guard RevocationFlow.isKeyPairID(key) else {
                throw APIError.badRequest(.invalidField, "cdnKey must be a CloudFront key pair id such as K2JCJMDEHXQW5F (letters, digits, - and _)")
            }
            subject = .cdnKey(key)
        default:
            throw APIError.badRequest(.missingField, "send exactly one of user (a user id) and cdnKey (a CloudFront key pair id)")
        }
        let reason = try body.optionalString("reason", maxLength: 500)
        let audit = AuditEntry(actor: admin.id, action: subject.auditAction, resource: subject.auditResource,
                               clientAddress: context.request.remoteAddress, at: context.now)
        let cutoff = try store.revoke(subject, cutoff: RevocationSubject.cutoff(revokedAt: context.now), reason: reason, audit: audit)
        var revoked = JSONObject()
        revoked[subject.kind == "user" ? "user" : "cdnKey"] = .string(subject.name)
        return .json(["revoked": .object(revoked), "cutoff": .string(UTCDateTime(cutoff).iso8601),
                      "effectiveWithinSeconds": .int(RevocationFlow.effectiveWithinSeconds)])
    }

    /// Letters, digits, `-` and `_`, as CloudFront's key ids (and `PRESIGND_CLOUDFRONT_KEY_PAIR_ID`).
    package static func isKeyPairID(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 128 && text.utf8.allSatisfy { ASCII.isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }
}
