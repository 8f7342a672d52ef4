import PresigndHTTP
import PresigndJWT
import PresigndMetrics
import PresigndSigning
package import PresigndSupport
package import PresigndUploads

/// Nothing left behind: uploads still unfinished after `maxAge` seconds are expired through
/// the lifecycle (object deleted or multipart upload aborted, row `expired`, one audit row),
/// and deletes that stopped half-way are finished. Safe from several hosts at once: every
/// change is the lifecycle's conditional transition, so a row another sweeper (or a request)
/// moved first is skipped.
package struct Sweeper: Sendable {
    let store: any DocumentStore
    let objects: any ObjectStore
    let purposes: UploadPurposes
    let maxAge: Int64
    /// Rows looked at per run, oldest first.
    let batch: Int

    /// A delete still `deleting` after this long is taken to have stopped half-way.
    static let stuckDeleteAge: Int64 = 300

    package init(store: any DocumentStore, objects: any ObjectStore, purposes: UploadPurposes, maxAge: Int64, batch: Int = 1_000) {
        self.store = store
        self.objects = objects
        self.purposes = purposes
        self.maxAge = maxAge
        self.batch = batch
    }

    /// What one run did (or, dry, would do) with one row.
    package struct Entry: Sendable, Equatable {
        package let documentID: String
        package let status: UploadStatus
        package let action: String
        /// Why the row was left as it is, when it was (moved on meanwhile, or the store failed).
        package let skipped: String?
    }

    package func run(now: UnixSeconds, dryRun: Bool) throws -> [Entry] {
        let rows = try store.sweepCandidates(createdBefore: now - maxAge, updatedBefore: now - Sweeper.stuckDeleteAge, limit: batch)
        let runner = LifecycleRunner(store: store, objects: objects, purposes: purposes)
        let request = LifecycleRunner.Request(actor: "presignd:sweeper", clientAddress: "", now: now)
        return rows.map { record in
            let event: UploadEvent = record.status == .deleting ? .cleanupRetried : .expiryChecked(now: now, maxAge: maxAge)
            let action = record.status == .deleting ? "finish delete" : (record.uploadID != nil ? "abort multipart upload" : "delete object")
            guard case .perform = record.lifecycle.on(event) else {
                return Entry(documentID: record.id, status: record.status, action: action, skipped: "not stale")
            }
            if dryRun { return Entry(documentID: record.id, status: record.status, action: action, skipped: nil) }
            do {
                _ = try runner.run(event, on: record, request)
                return Entry(documentID: record.id, status: record.status, action: action, skipped: nil)
            } catch let refusal as UploadRefusal {
                return Entry(documentID: record.id, status: record.status, action: action, skipped: "moved on: \(refusal)")
            } catch {
                return Entry(documentID: record.id, status: record.status, action: action, skipped: "failed: \(type(of: error))")
            }
        }
    }
}
