package import PresigndHTTP
import PresigndMetrics
package import PresigndSigning
package import PresigndSupport
package import PresigndUploads

/// One upload/document row.
package struct DocumentRecord: Sendable, Equatable {
    package var id: String
    package var ownerID: String
    package var objectKey: String
    package var purpose: String
    package var fileName: String
    package var declaredSize: Int64
    package var declaredType: String
    package var actualSize: Int64?
    package var actualType: String?
    package var status: UploadStatus
    package var rejection: String?
    /// The multipart upload's id; nil for single-request uploads.
    package var uploadID: String?
    /// The part size presignd planned (nil when the client chose it, as Uppy does).
    package var partSize: Int64?
    package var createdAt: UnixSeconds
    /// The checksum presign bound into the upload (`DeclaredChecksum.stored`), checked again at
    /// confirm; nil when the client declared none.
    package var checksum: String?

    package init(id: String, ownerID: String, objectKey: String, purpose: String, fileName: String, declaredSize: Int64,
                declaredType: String, actualSize: Int64? = nil, actualType: String? = nil, status: UploadStatus,
                rejection: String? = nil, uploadID: String? = nil, partSize: Int64? = nil, createdAt: UnixSeconds,
                checksum: String? = nil) {
        self.id = id
        self.ownerID = ownerID
        self.objectKey = objectKey
        self.purpose = purpose
        self.fileName = fileName
        self.declaredSize = declaredSize
        self.declaredType = declaredType
        self.actualSize = actualSize
        self.actualType = actualType
        self.status = status
        self.rejection = rejection
        self.uploadID = uploadID
        self.partSize = partSize
        self.createdAt = createdAt
        self.checksum = checksum
    }

    /// What the checksum column says was bound; nil when nothing was.
    package var boundChecksum: BoundChecksum? { checksum.flatMap(BoundChecksum.init(stored:)) }

    /// The row as the lifecycle sees it.
    package var lifecycle: UploadLifecycle {
        UploadLifecycle(status: status, multipart: uploadID != nil, createdAt: createdAt, actualSize: actualSize,
                        actualType: actualType, rejection: rejection)
    }
}

/// One audit-log row: who did what to which resource, when, from where.
package struct AuditEntry: Sendable, Equatable {
    package let actor: String
    /// nil for a change that writes no audit row (an internal step such as `completing`).
    package let action: AuditAction?
    package let resource: String
    package let clientAddress: String
    package let at: UnixSeconds

    package init(actor: String, action: AuditAction?, resource: String, clientAddress: String, at: UnixSeconds) {
        self.actor = actor
        self.action = action
        self.resource = resource
        self.clientAddress = clientAddress
        self.at = at
    }
}

/// Upload metadata, sharing and the audit log. Every write that comes with an audit entry
/// stores both or neither, in one statement; every change of an upload's state is one
/// conditional `transition`. Failures to reach the database throw `DependencyUnavailable`.
package protocol DocumentStore: Sendable {
    /// A new row in the state the lifecycle starts it in (`record.status`). With a `quota`, the
    /// row is written only if the owner's usage of the purpose, with this upload's declared size
    /// and one file more, stays within it — checked and reserved in the same statement, so
    /// concurrent uploads cannot both squeeze under the limit; otherwise throws `QuotaExceeded`
    /// and writes nothing.
    func insert(_ record: DocumentRecord, audit: AuditEntry, quota: UploadQuota?) throws
    /// The owner's usage per purpose (unfinished uploads at their declared size, finished ones
    /// at their actual size), for purposes where they have any.
    func usage(ownerID: String) throws -> [PurposeUsage]
    func document(id: String) throws -> DocumentRecord?
    /// The row of a multipart upload, by its uploadId.
    func document(uploadID: String) throws -> DocumentRecord?
    /// Applies `change` if the row is still in `from`, writing the audit entry (when the change
    /// names an action) in the same statement; false when the row had moved on or is gone.
    func transition(id: String, from: UploadStatus, _ change: UploadChange, audit: AuditEntry) throws -> Bool
    /// Deletes a row in `deleting` (its audit row was written by that transition).
    func removeDeleted(id: String) throws
    /// Rows the sweeper looks at, oldest first: unfinished uploads created before
    /// `createdBefore`, and deletes still `deleting` since before `updatedBefore`.
    func sweepCandidates(createdBefore: UnixSeconds, updatedBefore: UnixSeconds, limit: Int) throws -> [DocumentRecord]
    /// The ready document if `userID` owns it or it is shared with them, writing the audit
    /// entry in the same statement; nil otherwise (and nothing written).
    func openForDownload(id: String, userID: String, audit: AuditEntry) throws -> DocumentRecord?
    /// Ready documents `userID` owns or that are shared with them, newest first.
    func listAccessible(userID: String, after: DocumentCursor?, limit: Int) throws -> [DocumentRecord]
    /// Shares `ownerID`'s ready document, locking it against a concurrent delete; false when
    /// there is no such document (nothing written). Sharing twice writes one audit row.
    func share(documentID: String, ownerID: String, with userID: String, audit: AuditEntry) throws -> Bool
    /// false when the document was not shared with `userID` (nothing written).
    func unshare(documentID: String, ownerID: String, from userID: String, audit: AuditEntry) throws -> Bool
    func record(_ audit: AuditEntry) throws
    /// Throws unless the database answers.
    func ping() throws
}

extension DocumentRecord {
    /// What the upload counts for in its owner's quota (`UploadStatus.charged`).
    package var chargedBytes: Int64 { status.charged(declared: declaredSize, actual: actualSize) }
}

extension DocumentStore {
    /// A new row with no quota to respect.
    package func insert(_ record: DocumentRecord, audit: AuditEntry) throws {
        try insert(record, audit: audit, quota: nil)
    }
}

/// An upload that would take its owner past the purpose's quota: 403, saying the limit, the
/// usage and what to do.
package struct QuotaExceeded: Error, APIErrorConvertible, Sendable, Equatable {
    package let purpose: String
    package let quota: UploadQuota
    package let usage: PurposeUsage
    /// The declared size of the upload that was refused.
    package let requested: Int64

    package init(purpose: String, quota: UploadQuota, usage: PurposeUsage, requested: Int64) {
        self.purpose = purpose
        self.quota = quota
        self.usage = usage
        self.requested = requested
    }

    package var apiError: APIError {
        var limits: [String] = []
        if let files = quota.maxFiles { limits.append("\(files) file\(files == 1 ? "" : "s")") }
        if let bytes = quota.maxBytes { limits.append(QuotaExceeded.size(bytes)) }
        let used = "\(usage.files) file\(usage.files == 1 ? "" : "s") and \(QuotaExceeded.size(usage.bytes))"
        return APIError(status: 403, code: .quotaExceeded, message: """
            this upload (\(QuotaExceeded.size(requested))) would exceed your "\(purpose)" quota of \(limits.joined(separator: " and ")); \
            you use \(used), unfinished uploads counted at their declared size; delete files you no longer need \
            (DELETE /api/documents/{id}) or let unfinished uploads finish or expire, then try again (GET /api/usage shows your usage)
            """)
    }

    /// `512 bytes`, `4.2 MiB`, `1.5 GiB`.
    static func size(_ bytes: Int64) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB"]
        guard bytes >= 1024 else { return "\(bytes) byte\(bytes == 1 ? "" : "s")" }
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}
