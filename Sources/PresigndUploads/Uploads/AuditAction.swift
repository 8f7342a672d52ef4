import PresigndCrypto
import PresigndHTTP
import PresigndSigning

/// Every action the audit log records (`audit_log.action`): one list, which the flows, the
/// lifecycle and the stores use and README's audit queries name.
package enum AuditAction: String, Sendable, CaseIterable, ExpressibleByStringLiteral {
    case uploadPresign = "upload.presign"
    case uploadCreate = "upload.create"
    case uploadConfirm = "upload.confirm"
    case uploadComplete = "upload.complete"
    case uploadReject = "upload.reject"
    case uploadAbort = "upload.abort"
    case uploadExpire = "upload.expire"
    case documentDownload = "document.download"
    case documentShare = "document.share"
    case documentUnshare = "document.unshare"
    case documentDelete = "document.delete"
    case cdnCookies = "cdn.cookies"
    /// `presignd revoke --user` or the admin route: the user's credentials issued before now are refused.
    case userRevoke = "user.revoke"
    /// `presignd revoke --cdn-key`: every cookie signed with the CloudFront key is refused.
    case cdnKeyRetire = "cdn.key.retire"

    /// `"upload.presign"` in code and tests; a name that is not an action stops at once.
    package init(stringLiteral name: String) {
        guard let action = AuditAction(rawValue: name) else { preconditionFailure("\(name) is not an audit action") }
        self = action
    }
}
