import PresigndHTTP
import PresigndSigning
package import PresigndSupport

/// Where an upload stands: the `status` column, and the only states the lifecycle moves between.
package enum UploadStatus: String, Sendable, CaseIterable {
    /// A single-request upload (POST form or PUT) was signed; nothing is confirmed yet.
    case pending
    /// A multipart upload was created; the row holds its uploadId.
    case uploading
    /// CompleteMultipartUpload is under way (claimed by one request, so abort cannot race it).
    case completing
    /// The object is in the store and fits its purpose and declaration.
    case ready
    /// The object broke a rule and was deleted.
    case rejected
    /// Its owner cancelled it.
    case aborted
    /// Never finished in time; swept.
    case expired
    /// Its owner deleted it: the object is being removed, the row goes next.
    case deleting

    /// States the sweeper may expire: work that was started and never finished.
    package static let unfinished: [UploadStatus] = allCases.filter(\.isUnfinished)

    /// Where a new upload starts: a single-request upload is `pending`, a multipart one `uploading`.
    package static func initial(multipart: Bool) -> UploadStatus { multipart ? .uploading : .pending }

    /// Work that was started and never finished (the sweeper may expire it).
    package var isUnfinished: Bool {
        switch self {
        case .pending, .uploading, .completing: return true
        case .ready, .rejected, .aborted, .expired, .deleting: return false
        }
    }

    /// The upload counts toward its owner's quota: a reject, abort, expiry or delete releases it.
    package var holdsQuota: Bool { isUnfinished || self == .ready }

    /// Parts may be signed, listed and completed: a multipart upload still under way.
    package var acceptsParts: Bool { self == .uploading }

    /// Its owner still sees it (by id, key or uploadId): every state but a delete in progress.
    package var isVisibleToOwner: Bool { self != .deleting }

    /// Listed, downloaded and shared: the object is in the store and passed its checks.
    package var isAvailable: Bool { self == .ready }

    /// What the upload counts for in its owner's quota: its declared size until it is ready,
    /// then its actual size; nothing once it no longer holds quota.
    package func charged(declared: Int64, actual: Int64?) -> Int64 {
        guard holdsQuota else { return 0 }
        return self == .ready ? actual ?? declared : declared
    }
}

/// What happened to an upload, as the lifecycle sees it.
package enum UploadEvent: Sendable, Equatable {
    /// `POST /api/uploads/confirm` (single-request uploads).
    case confirmRequested
    /// Complete a multipart upload with the client's parts.
    case completeRequested
    /// HeadObject answered, judged against the purpose and the declaration.
    case headObserved(ConfirmDecision)
    /// The owner cancels an unfinished upload.
    case abortRequested
    /// The store no longer has the multipart upload (its lifecycle rule aborted it, or another
    /// client did): a 404 on a call that names the upload id.
    case storeLostUpload
    /// The owner deletes the document (or the upload).
    case deleteRequested
    /// The sweeper looks at the row at `now`; rows older than `maxAge` seconds expire.
    case expiryChecked(now: UnixSeconds, maxAge: Int64)
    /// The sweeper retries the object removal of a delete that did not finish.
    case cleanupRetried
}

/// One conditional change of a row: applied only if the row is still in the state it was read
/// in, together with its audit row (when `audit` names an action), or not at all.
package struct UploadChange: Sendable, Equatable {
    package let to: UploadStatus
    /// The audit action written with the change; nil for internal steps (`completing`).
    package let audit: AuditAction?
    package var actualSize: Int64? = nil
    package var actualType: String? = nil
    package var rejection: String? = nil

    package init(to: UploadStatus, audit: AuditAction?, actualSize: Int64? = nil, actualType: String? = nil, rejection: String? = nil) {
        self.to = to
        self.audit = audit
        self.actualSize = actualSize
        self.actualType = actualType
        self.rejection = rejection
    }
}

/// Work the flow performs for the lifecycle, in order.
package enum UploadAction: Sendable, Equatable {
    /// HeadObject; its answer comes back as `.headObserved`. Always the last action of a step.
    case headObject
    case completeMultipart
    case deleteObject
    case abortMultipart
    /// The conditional change; when it reports that the row had moved on, re-read it and
    /// send the same event again.
    case transition(UploadChange)
    /// Delete the row (after `deleting`; its audit row was written by that transition).
    case removeRow
}

/// How an upload ended for the request that asked.
package enum UploadOutcome: Sendable, Equatable {
    case ready(size: Int64, contentType: String)
    case rejected(reason: String)
    case aborted
    case expired
    case deleted
}

/// Why an event does not apply to the upload's state; each becomes one error for the client.
package enum UploadRefusal: Error, Sendable, Equatable {
    /// Nothing in the store yet (409: finish the upload).
    case notUploaded
    /// Gone, or being deleted (404).
    case notFound
    /// It was rejected earlier (422, with the reason).
    case rejected(reason: String)
    case aborted
    case expired
    /// A multipart event on a single-request upload.
    case notMultipart
    /// `confirm` on a multipart upload: it is completed, not confirmed.
    case multipart
    /// Abort after completion started or finished.
    case alreadyCompleted
    /// The sweeper found the row still young, or finished.
    case notStale
}

/// The lifecycle's answer to one event.
package enum UploadStep: Sendable, Equatable {
    /// Do these, then answer with `then` (nil when the last action is `.headObject`, whose
    /// answer is the next event).
    case perform([UploadAction], then: UploadOutcome?)
    /// Nothing to do: the upload already ended this way.
    case finished(UploadOutcome)
    case refused(UploadRefusal)
}

/// The upload lifecycle as one pure state machine: given a row's state and an event, what to
/// do. The flows, the sweeper and the store follow it; nothing else decides a transition.
///
///     (presign)   → pending   ─confirm/head ok→ ready        ─delete→ deleting → (row removed)
///     (multipart) → uploading ─complete→ completing ─head ok→ ready
///     pending|completing ─head breaks a rule→ rejected (object deleted)
///     pending|uploading ─abort→ aborted;  pending|uploading|completing ─too old→ expired
package struct UploadLifecycle: Sendable, Equatable {
    package let status: UploadStatus
    /// Whether the row has a multipart uploadId (so cleanup aborts it).
    package let multipart: Bool
    package let createdAt: UnixSeconds
    /// The confirmed size and type, for answering a repeated confirm or complete.
    package let actualSize: Int64?
    package let actualType: String?
    package let rejection: String?

    package init(status: UploadStatus, multipart: Bool, createdAt: UnixSeconds, actualSize: Int64? = nil,
                actualType: String? = nil, rejection: String? = nil) {
        self.status = status
        self.multipart = multipart
        self.createdAt = createdAt
        self.actualSize = actualSize
        self.actualType = actualType
        self.rejection = rejection
    }

    /// Where a new row starts.
    package static func initialStatus(multipart: Bool) -> UploadStatus { .initial(multipart: multipart) }

    package func on(_ event: UploadEvent) -> UploadStep {
        switch (status, event) {
        case (.deleting, .cleanupRetried):
            return .perform(cleanup + [.removeRow], then: .deleted)
        case (.deleting, _):
            return .refused(.notFound)
        case (_, .deleteRequested):
            return .perform([.transition(UploadChange(to: .deleting, audit: .documentDelete))] + cleanup + [.removeRow], then: .deleted)
        case (_, .cleanupRetried):
            return .refused(.notStale)

        case (.pending, .confirmRequested):
            return .perform([.headObject], then: nil)
        case (.completing, .completeRequested):
            // A completion that failed half-way is finished by the next request.
            return .perform([.completeMultipart, .headObject], then: nil)
        case (.uploading, .completeRequested):
            return .perform([.transition(UploadChange(to: .completing, audit: nil)), .completeMultipart, .headObject], then: nil)
        case (.pending, .completeRequested):
            return .refused(.notMultipart)
        case (.uploading, .confirmRequested), (.completing, .confirmRequested):
            return .refused(.multipart)
        case (.ready, .confirmRequested), (.ready, .completeRequested):
            return .finished(.ready(size: actualSize ?? 0, contentType: actualType ?? ""))
        case (.rejected, .confirmRequested), (.rejected, .completeRequested):
            return .refused(.rejected(reason: rejection ?? "the upload was rejected"))
        case (.aborted, .confirmRequested), (.aborted, .completeRequested):
            return .refused(.aborted)
        case (.expired, .confirmRequested), (.expired, .completeRequested):
            return .refused(.expired)

        case (.pending, .headObserved(let decision)), (.completing, .headObserved(let decision)):
            return observed(decision)
        case (.ready, .headObserved), (.rejected, .headObserved):
            return .refused(.alreadyCompleted)
        case (.uploading, .headObserved):
            return .refused(.notUploaded)
        case (.aborted, .headObserved):
            return .refused(.aborted)
        case (.expired, .headObserved):
            return .refused(.expired)

        case (.pending, .abortRequested), (.uploading, .abortRequested):
            return .perform([.transition(UploadChange(to: .aborted, audit: .uploadAbort))] + cleanup, then: .aborted)
        case (.aborted, .abortRequested):
            // Idempotent: a retry repeats the store's cleanup, never the audit row.
            return .perform(cleanup, then: .aborted)
        case (.completing, .abortRequested), (.ready, .abortRequested):
            return .refused(.alreadyCompleted)
        case (.rejected, .abortRequested):
            return .refused(.rejected(reason: rejection ?? "the upload was rejected"))
        case (.expired, .abortRequested):
            return .refused(.expired)

        case (.uploading, .storeLostUpload), (.completing, .storeLostUpload):
            // Nothing is left at the store: the row ends as aborted (its quota released, an audit
            // row written), so no client retries an upload that cannot finish.
            return .perform([.transition(UploadChange(to: .aborted, audit: .uploadAbort))], then: .aborted)
        case (_, .storeLostUpload):
            return .refused(partsRefusal ?? .aborted)

        case (.pending, .expiryChecked(let now, let maxAge)), (.uploading, .expiryChecked(let now, let maxAge)),
             (.completing, .expiryChecked(let now, let maxAge)):
            guard now - createdAt >= maxAge else { return .refused(.notStale) }
            return .perform([.transition(UploadChange(to: .expired, audit: .uploadExpire))] + cleanup, then: .expired)
        case (_, .expiryChecked):
            return .refused(.notStale)
        }
    }

    /// Why parts may not be signed, listed or sent now; nil while a multipart upload is under way.
    package var partsRefusal: UploadRefusal? {
        guard multipart else { return .notMultipart }
        guard !status.acceptsParts else { return nil }
        switch status {
        case .completing, .ready: return .alreadyCompleted
        case .rejected: return .rejected(reason: rejection ?? "the upload was rejected")
        case .aborted: return .aborted
        case .expired: return .expired
        case .uploading, .pending, .deleting: return .notFound
        }
    }

    func observed(_ decision: ConfirmDecision) -> UploadStep {
        switch decision {
        case .notUploaded:
            return .refused(.notUploaded)
        case .ready(let size, let contentType):
            let action: AuditAction = status == .completing ? .uploadComplete : .uploadConfirm
            return .perform([.transition(UploadChange(to: .ready, audit: action, actualSize: size, actualType: contentType))],
                            then: .ready(size: size, contentType: contentType))
        case .rejected(let reason):
            // Delete first: if that fails the row stays as it was and a retry decides again.
            return .perform([.deleteObject, .transition(UploadChange(to: .rejected, audit: .uploadReject, rejection: reason))],
                            then: .rejected(reason: reason))
        }
    }

    /// What removes an upload's traces from the store: its multipart upload (parts) and its object.
    var cleanup: [UploadAction] {
        switch status {
        case .pending, .ready, .rejected: return [.deleteObject]
        case .uploading: return [.abortMultipart]
        case .completing, .aborted, .expired, .deleting: return multipart ? [.abortMultipart, .deleteObject] : [.deleteObject]
        }
    }
}
