package import PresigndHTTP
import PresigndSupport
import PresigndUploads

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
        revoked[subject.field] = .string(subject.name)
        return .json(["revoked": .object(revoked), "cutoff": .string(UTCDateTime(cutoff).iso8601),
                      "effectiveWithinSeconds": .int(RevocationFlow.effectiveWithinSeconds)])
    }

    /// Letters, digits, `-` and `_`, as CloudFront's key ids (and `PRESIGND_CLOUDFRONT_KEY_PAIR_ID`).
    package static func isKeyPairID(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 128 && text.utf8.allSatisfy { ASCII.isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }
}
