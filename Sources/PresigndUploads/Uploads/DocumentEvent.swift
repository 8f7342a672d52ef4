/// What an application beside presignd hears of (`events.type`, a webhook's `type`): one type per
/// audited change that matters to it, named from the audit action the change is written with, so
/// an event exists exactly when its audit row does.
package enum DocumentEventType: String, Sendable, CaseIterable {
    case uploadReady = "upload.ready"
    case uploadRejected = "upload.rejected"
    case uploadAborted = "upload.aborted"
    case uploadExpired = "upload.expired"
    case documentDeleted = "document.deleted"
    case shareAdded = "share.added"
    case shareRevoked = "share.revoked"

    /// The event a change audited as `action` writes; nil for what an application need not hear
    /// of (a presign, a multipart upload's creation, a download, CDN cookies, a revocation).
    package init?(_ action: AuditAction) {
        switch action {
        case .uploadConfirm, .uploadComplete: self = .uploadReady
        case .uploadReject: self = .uploadRejected
        case .uploadAbort: self = .uploadAborted
        case .uploadExpire: self = .uploadExpired
        case .documentDelete: self = .documentDeleted
        case .documentShare: self = .shareAdded
        case .documentUnshare: self = .shareRevoked
        case .uploadPresign, .uploadCreate, .documentDownload, .cdnCookies, .userRevoke, .cdnKeyRetire: return nil
        }
    }

    /// Whether the event names the user a document was shared with or taken from.
    package var namesUser: Bool { self == .shareAdded || self == .shareRevoked }
}
