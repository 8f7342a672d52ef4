import PresigndHTTP
import PresigndJWT
package import PresigndMetrics
import PresigndSigning
package import PresigndSupport
package import PresigndUploads

/// A `DocumentStore` that counts the upload state changes that were written (by state left and
/// entered), around the real store; every other call passes through.
package struct CountingDocumentStore: DocumentStore {
    let base: any DocumentStore
    let metrics: Metrics
    let changes = SeriesCache<Change>()

    struct Change: Hashable {
        let from: String
        let to: String
    }

    func count(from: String, to: String) {
        changes.series(Change(from: from, to: to)) { metrics.series(Metrics.Families.transitions, [("from", from), ("to", to)]) }.add(1)
    }

    package init(_ base: any DocumentStore, metrics: Metrics) {
        self.base = base
        self.metrics = metrics
    }

    package func transition(id: String, from: UploadStatus, _ change: UploadChange, audit: AuditEntry) throws -> Bool {
        let changed = try base.transition(id: id, from: from, change, audit: audit)
        if changed { count(from: from.rawValue, to: change.to.rawValue) }
        return changed
    }

    package func insert(_ record: DocumentRecord, audit: AuditEntry, quota: UploadQuota?) throws {
        try base.insert(record, audit: audit, quota: quota)
        count(from: "none", to: record.status.rawValue)
    }

    package func document(id: String) throws -> DocumentRecord? { try base.document(id: id) }
    package func document(uploadID: String) throws -> DocumentRecord? { try base.document(uploadID: uploadID) }
    package func removeDeleted(id: String) throws {
        try base.removeDeleted(id: id)
        count(from: UploadStatus.deleting.rawValue, to: "removed")
    }
    package func sweepCandidates(createdBefore: UnixSeconds, updatedBefore: UnixSeconds, limit: Int) throws -> [DocumentRecord] {
        try base.sweepCandidates(createdBefore: createdBefore, updatedBefore: updatedBefore, limit: limit)
    }
    package func openForDownload(id: String, userID: String, audit: AuditEntry) throws -> DocumentRecord? {
        try base.openForDownload(id: id, userID: userID, audit: audit)
    }
    package func listAccessible(userID: String, after: DocumentCursor?, limit: Int) throws -> [DocumentRecord] {
        try base.listAccessible(userID: userID, after: after, limit: limit)
    }
    package func share(documentID: String, ownerID: String, with userID: String, audit: AuditEntry) throws -> Bool {
        try base.share(documentID: documentID, ownerID: ownerID, with: userID, audit: audit)
    }
    package func unshare(documentID: String, ownerID: String, from userID: String, audit: AuditEntry) throws -> Bool {
        try base.unshare(documentID: documentID, ownerID: ownerID, from: userID, audit: audit)
    }
    package func record(_ audit: AuditEntry) throws { try base.record(audit) }
    package func ping() throws { try base.ping() }
    package func usage(ownerID: String) throws -> [PurposeUsage] { try base.usage(ownerID: ownerID) }
}
