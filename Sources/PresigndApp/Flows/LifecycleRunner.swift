#if canImport(Glibc)
import Glibc
#endif
package import PresigndHTTP
import PresigndJWT
import PresigndMetrics
import PresigndSigning
import PresigndSupport
import PresigndUploads

/// Carries out what `UploadLifecycle` decides for one row: the store's conditional
/// transitions and the object store's calls, in the order the lifecycle gives. When a
/// transition finds that a concurrent request moved the row on, the row is read again and
/// the same event decided again, so racing requests get one outcome and one audit row.
struct LifecycleRunner {
    let store: any DocumentStore
    let objects: any ObjectStore
    let purposes: UploadPurposes

    /// What the request asked for and who asked (for the audit rows).
    struct Request {
        let actor: String
        let clientAddress: String
        let now: UnixSeconds
        /// The client's parts, for `completeMultipart`.
        var parts: [(number: Int, etag: String)] = []
        /// Each part's SHA-256 as the store checked it (ListParts), for an upload created with it.
        var partChecksums: [Int: String] = [:]
    }

    /// How many times a lost race is re-decided before giving up with 409: each retry means
    /// another request changed the row in between, which the lifecycle allows only a few times.
    static let maxRereads = 3
    /// How often, and how far apart, a row is read again before an object found missing is
    /// answered as not uploaded (a confirm sent before the upload waits this long for its 409).
    static let settleLooks = 3
    static let settleMicroseconds: UInt32 = 25_000

    func run(_ event: UploadEvent, on record: DocumentRecord, _ request: Request) throws -> UploadOutcome {
        var record = record
        let original = event
        var event = event
        var rereads = 0
        // The store said a completing row's multipart upload is gone: if no object was made
        // either, the upload is lost, not unfinished.
        var uploadGone = false
        decide: while true {
            switch record.lifecycle.on(event) {
            case .finished(let outcome):
                return outcome
            case .refused(let refusal):
                // A refusal decided from the store's answer (the object is not there) may be a
                // concurrent delete's doing: if the row moved on meanwhile, decide the request's
                // own event again from where the row is now (a deleted upload is 404, not 409).
                if case .headObserved = event, rereads < LifecycleRunner.maxRereads {
                    guard var current = try store.document(id: record.id) else { throw UploadRefusal.notFound }
                    // A racing request that rejects the upload deletes its object first and
                    // changes the row right after: an object found missing on a row that has not
                    // moved yet is looked at again shortly, before it is answered as not uploaded.
                    var looks = 0
                    while refusal == .notUploaded, current.status == record.status, looks < LifecycleRunner.settleLooks {
                        looks += 1
                        usleep(LifecycleRunner.settleMicroseconds)
                        guard let again = try store.document(id: record.id) else { throw UploadRefusal.notFound }
                        current = again
                    }
                    if current.status != record.status {
                        rereads += 1
                        record = current
                        event = original
                        continue decide
                    }
                }
                throw refusal
            case .perform(let actions, let outcome):
                let decidedIn = record.status
                for action in actions {
                    switch action {
                    case .headObject:
                        let head = try objects.head(key: record.objectKey)
                        event = head == nil && uploadGone ? .storeLostUpload
                            : .headObserved(try decision(head, for: record, partChecksums: request.partChecksums))
                        continue decide
                    case .transition(let change):
                        let audit = AuditEntry(actor: request.actor, action: change.audit, resource: "document:\(record.id)",
                                               clientAddress: request.clientAddress, at: request.now)
                        guard try store.transition(id: record.id, from: record.status, change, audit: audit) else {
                            // Someone else moved the row on: decide the request again from where the row
                            // is now (the request's own event, not an intermediate head answer).
                            rereads += 1
                            guard rereads <= LifecycleRunner.maxRereads, let current = try store.document(id: record.id) else {
                                throw UploadRefusal.notFound
                            }
                            record = current
                            event = original
                            continue decide
                        }
                        record.status = change.to
                    case .completeMultipart:
                        guard let uploadID = record.uploadID else { throw UploadRefusal.notMultipart }
                        do {
                            try objects.completeMultipartUpload(key: record.objectKey, uploadID: uploadID, parts: request.parts,
                                                               checksums: request.partChecksums)
                        } catch let refusal as StoreRefusal where refusal.code == StoreRefusal.uploadGone && decidedIn == .completing {
                            // A completion cut short (a timeout) that the store finished anyway: the
                            // upload is gone because the object exists; HeadObject decides next.
                            uploadGone = true
                        } catch where decidedIn == .completing && !(error is StoreRefusal) {
                            // Ceph RGW 16 answers the completion of an upload it no longer has with
                            // 500 "This multipart completion is already in progress", for ever:
                            // ListParts says whether the upload is still there.
                            guard try storeLost(record.objectKey, uploadID) else { throw error }
                            uploadGone = true
                        }
                    case .deleteObject:
                        try objects.delete(key: record.objectKey)
                    case .abortMultipart:
                        if let uploadID = record.uploadID { try objects.abortMultipartUpload(key: record.objectKey, uploadID: uploadID) }
                    case .removeRow:
                        try store.removeDeleted(id: record.id)
                    }
                }
                guard let outcome else { preconditionFailure("a lifecycle step without .headObject must name its outcome") }
                return outcome
            }
        }
    }

    /// Whether the store no longer has the multipart upload (ListParts answers it is gone).
    func storeLost(_ key: String, _ uploadID: String) throws -> Bool {
        do {
            _ = try objects.listParts(key: key, uploadID: uploadID)
            return false
        } catch let refusal as StoreRefusal where refusal.code == StoreRefusal.uploadGone {
            return true
        }
    }

    /// HeadObject's answer judged against the row's purpose and declaration; when that passes,
    /// the object's first bytes (one ranged GET) against its declared type, name and purpose.
    func decision(_ head: ObjectHead?, for record: DocumentRecord, partChecksums: [Int: String] = [:]) throws -> ConfirmDecision {
        guard let purpose = purposes[record.purpose] else {
            return head == nil ? .notUploaded : .rejected(reason: "the purpose \(record.purpose) is no longer configured")
        }
        let decided = ConfirmDecision.decide(head: head, purpose: purpose, declaredSize: record.declaredSize, declaredType: record.declaredType,
                                             checksum: record.boundChecksum,
                                             compositeSHA256: BoundChecksum.composite(of: partChecksums))
        guard case .ready = decided else { return decided }
        // Gone between the two calls: a concurrent delete; the runner re-reads the row.
        guard let prefix = try objects.firstBytes(key: record.objectKey, count: ContentCheck.prefixLength) else { return .notUploaded }
        if let reason = ContentCheck.disagreement(prefix: prefix, declaredType: record.declaredType, fileName: record.fileName, purpose: purpose) {
            return .rejected(reason: reason)
        }
        return decided
    }
}

extension UploadRefusal: APIErrorConvertible {
    package var apiError: APIError {
        switch self {
        case .notUploaded:
            return APIError(status: 409, code: .uploadIncomplete,
                            message: "the file is not in storage yet; finish the upload, then confirm again")
        case .notFound:
            return APIError.notFound("no such upload or document of yours")
        case .rejected(let reason):
            return APIError(status: 422, code: .uploadRejected, message: "\(reason); the object was deleted, upload again")
        case .aborted:
            return APIError(status: 409, code: .uploadAborted, message: "the upload was cancelled; start a new one")
        case .expired:
            return APIError(status: 409, code: .uploadExpired, message: "the upload was not finished in time; start a new one")
        case .notMultipart:
            return APIError(status: 409, code: .notMultipart,
                            message: "this is a single-request upload; confirm it with POST /api/uploads/confirm")
        case .multipart:
            return APIError(status: 409, code: .multipartUpload,
                            message: "this is a multipart upload; complete it with POST /api/uploads/{fileId}/complete")
        case .alreadyCompleted:
            return APIError(status: 409, code: .uploadCompleted, message: "the upload is already completed; delete the document instead")
        case .notStale:
            return APIError(status: 409, code: .uploadNotStale, message: "the upload is not old enough to expire")
        }
    }
}
