import XCTest
import Synchronization
@testable import PresigndApp
import PresigndSupport
import PresigndUploads

/// A store that lets another "request" change the row just before this request's transition,
/// the way a concurrent request does against PostgreSQL.
final class InterferingStore: DocumentStore {
    let base = MemoryDocumentStore()
    let interference = Mutex<(@Sendable (MemoryDocumentStore) -> Void)?>(nil)

    func transition(id: String, from: UploadStatus, _ change: UploadChange, audit: AuditEntry) throws -> Bool {
        if let other = interference.withLock({ hook in defer { hook = nil }; return hook }) { other(base) }
        return try base.transition(id: id, from: from, change, audit: audit)
    }
    func insert(_ record: DocumentRecord, audit: AuditEntry, quota: UploadQuota?) throws {
        try base.insert(record, audit: audit, quota: quota)
    }
    func usage(ownerID: String) throws -> [PurposeUsage] { try base.usage(ownerID: ownerID) }
    func document(id: String) throws -> DocumentRecord? { try base.document(id: id) }
    func document(uploadID: String) throws -> DocumentRecord? { try base.document(uploadID: uploadID) }
    func removeDeleted(id: String) throws { try base.removeDeleted(id: id) }
    func sweepCandidates(createdBefore: UnixSeconds, updatedBefore: UnixSeconds, limit: Int) throws -> [DocumentRecord] {
        try base.sweepCandidates(createdBefore: createdBefore, updatedBefore: updatedBefore, limit: limit)
    }
    func openForDownload(id: String, userID: String, audit: AuditEntry) throws -> DocumentRecord? { try base.openForDownload(id: id, userID: userID, audit: audit) }
    func listAccessible(userID: String, after: DocumentCursor?, limit: Int) throws -> [DocumentRecord] { try base.listAccessible(userID: userID, after: after, limit: limit) }
    func share(documentID: String, ownerID: String, with userID: String, audit: AuditEntry) throws -> Bool { try base.share(documentID: documentID, ownerID: ownerID, with: userID, audit: audit) }
    func unshare(documentID: String, ownerID: String, from userID: String, audit: AuditEntry) throws -> Bool { try base.unshare(documentID: documentID, ownerID: ownerID, from: userID, audit: audit) }
    func record(_ audit: AuditEntry) throws { try base.record(audit) }
    func ping() throws { try base.ping() }
}

final class LifecycleRunnerTests: XCTestCase {
    let store = InterferingStore()
    let objects = MemoryObjectStore()
    var runner: LifecycleRunner { LifecycleRunner(store: store, objects: objects, purposes: .defaults) }
    let request = LifecycleRunner.Request(actor: "alice", clientAddress: "192.0.2.1", now: 2_000)
    let record = DocumentRecord(id: "00000000-0000-4000-8000-000000000001", ownerID: "alice", objectKey: "documents/alice/x.pdf",
                                purpose: "document", fileName: "x.pdf", declaredSize: 100, declaredType: "application/pdf",
                                status: .pending, createdAt: 1_000)

    override func setUpWithError() throws {
        try store.insert(record, audit: AuditEntry(actor: "alice", action: "upload.presign", resource: "document:\(record.id)",
                                                   clientAddress: "", at: 1_000))
        objects.state.withLock { $0.objects[record.objectKey] = ObjectHead(size: 90, contentType: "application/pdf") }
    }

    /// Confirm reads the object's first bytes once (after HeadObject) and refuses content that
    /// is not what was declared: the object is deleted, the row rejected with the reason, one audit row.
    func testConfirmRefusesContentThatIsNotWhatWasDeclared() throws {
        objects.state.withLock { $0.contents[record.objectKey] = Array("<html><script>steal()</script>".utf8) }
        XCTAssertEqual(try runner.run(.confirmRequested, on: record, request),
                       .rejected(reason: "the file is HTML markup, not a PDF document as declared (application/pdf)"))
        XCTAssertEqual(objects.state.withLock { $0.calls }, ["HeadObject", "GetObject", "DeleteObject"])
        XCTAssertEqual(try store.document(id: record.id)?.status, .rejected)
        XCTAssertEqual(store.base.state.withLock { $0.audit.map(\.action) }, ["upload.presign", "upload.reject"])
    }

    /// A completion cut short (the row left `completing`) whose upload the store then lost, and
    /// made no object of: the retry ends the row aborted (409 upload_aborted), not 409
    /// "not uploaded yet" for ever.
    func testACompletingUploadTheStoreLostEndsAborted() throws {
        let lost = DocumentRecord(id: "00000000-0000-4000-8000-000000000002", ownerID: "alice", objectKey: "documents/alice/y.pdf",
                                  purpose: "document", fileName: "y.pdf", declaredSize: 100, declaredType: "application/pdf",
                                  status: .uploading, uploadID: "upload-gone", partSize: 5 << 20, createdAt: 1_000)
        try store.insert(lost, audit: AuditEntry(actor: "alice", action: "upload.create", resource: "document:\(lost.id)",
                                                 clientAddress: "", at: 1_000))
        XCTAssertTrue(try store.transition(id: lost.id, from: .uploading, UploadChange(to: .completing, audit: nil),
                                           audit: AuditEntry(actor: "alice", action: nil, resource: "document:\(lost.id)", clientAddress: "", at: 1_500)))
        let completing = try XCTUnwrap(try store.document(id: lost.id))
        XCTAssertEqual(try runner.run(.completeRequested, on: completing, request), .aborted)
        XCTAssertEqual(try store.document(id: lost.id)?.status, .aborted)
        XCTAssertEqual(objects.state.withLock { $0.calls }, ["CompleteMultipartUpload", "HeadObject"])
        XCTAssertEqual(store.base.state.withLock { $0.audit.filter { $0.resource == "document:\(lost.id)" }.map(\.action) },
                       ["upload.create", "upload.abort"])
    }

    /// HeadObject already refuses (too large, wrong type): no ranged GET is made.
    func testNoRangedGetWhenHeadObjectAlreadyRefuses() throws {
        objects.state.withLock { $0.objects[record.objectKey] = ObjectHead(size: 500, contentType: "application/pdf") }
        XCTAssertEqual(try runner.run(.confirmRequested, on: record, request),
                       .rejected(reason: "the uploaded object is 500 bytes but 100 bytes were declared"))
        XCTAssertEqual(objects.state.withLock { $0.calls }, ["HeadObject", "DeleteObject"])
    }

    /// Regression: the loser of two confirms re-decided the head's answer instead of its own
    /// request, and answered 409 `upload_completed` for an upload that was ready.
    func testRegressionConfirmThatLosesToAnotherConfirmAnswersReady() throws {
        let id = record.id
        store.interference.withLock { $0 = { base in
            _ = try? base.transition(id: id, from: .pending, UploadChange(to: .ready, audit: "upload.confirm", actualSize: 90, actualType: "application/pdf"),
                                     audit: AuditEntry(actor: "alice", action: "upload.confirm", resource: "document:\(id)", clientAddress: "", at: 2_000))
        } }
        XCTAssertEqual(try runner.run(.confirmRequested, on: record, request), .ready(size: 90, contentType: "application/pdf"))
        XCTAssertEqual(store.base.state.withLock { $0.audit.map(\.action) }, ["upload.presign", "upload.confirm"], "one audit row")
    }

    func testConfirmThatLosesToADeleteIsNotFound() {
        let id = record.id
        store.interference.withLock { $0 = { base in
            _ = try? base.transition(id: id, from: .pending, UploadChange(to: .deleting, audit: "document.delete"),
                                     audit: AuditEntry(actor: "alice", action: "document.delete", resource: "document:\(id)", clientAddress: "", at: 2_000))
        } }
        XCTAssertThrowsError(try runner.run(.confirmRequested, on: record, request)) { error in
            XCTAssertEqual(error as? UploadRefusal, .notFound)
        }
        XCTAssertEqual(store.base.state.withLock { $0.audit.map(\.action) }, ["upload.presign", "document.delete"])
    }

    /// Regression (seen once in test_race_confirm_and_delete): a confirm that read the row
    /// before a concurrent delete ran found the object gone at HeadObject and answered 409
    /// "not uploaded yet" for an upload that had been deleted; it re-reads the row and says 404.
    func testConfirmWhoseObjectADeleteRemovedIsNotFound() throws {
        let id = record.id
        objects.state.withLock { $0.objects[record.objectKey] = nil }
        _ = try store.base.transition(id: id, from: .pending, UploadChange(to: .deleting, audit: "document.delete"),
                                      audit: AuditEntry(actor: "alice", action: "document.delete", resource: "document:\(id)", clientAddress: "", at: 2_000))
        // The delete is half done (row deleting), then done (row gone): 404 either way.
        XCTAssertThrowsError(try runner.run(.confirmRequested, on: record, request)) { error in
            XCTAssertEqual(error as? UploadRefusal, .notFound)
        }
        try store.base.removeDeleted(id: id)
        XCTAssertThrowsError(try runner.run(.confirmRequested, on: record, request)) { error in
            XCTAssertEqual(error as? UploadRefusal, .notFound)
        }
        XCTAssertEqual(store.base.state.withLock { $0.audit.map(\.action) }, ["upload.presign", "document.delete"])
    }

    /// A confirm before the upload arrived is still 409 (the row did not move).
    func testConfirmBeforeTheUploadIsStillNotUploaded() {
        objects.state.withLock { $0.objects[record.objectKey] = nil }
        XCTAssertThrowsError(try runner.run(.confirmRequested, on: record, request)) { error in
            XCTAssertEqual(error as? UploadRefusal, .notUploaded)
        }
    }

    /// A completion cut short by a timeout, which the store finished anyway: the retry finds the
    /// upload gone (NoSuchUpload) and the object there, and finishes as ready instead of a 404.
    func testCompletionRetryAfterTheStoreFinishedIsReady() throws {
        var multipart = record
        multipart.id = "00000000-0000-4000-8000-000000000002"
        multipart.objectKey = "documents/alice/y.pdf"
        multipart.status = .completing
        multipart.uploadID = "upload-gone"
        try store.insert(multipart, audit: AuditEntry(actor: "alice", action: "upload.create", resource: "document:\(multipart.id)",
                                                      clientAddress: "", at: 1_000))
        objects.state.withLock { $0.objects[multipart.objectKey] = ObjectHead(size: 90, contentType: "application/pdf") }
        XCTAssertEqual(try runner.run(.completeRequested, on: multipart, request), .ready(size: 90, contentType: "application/pdf"))
        XCTAssertEqual(try store.document(id: multipart.id)?.status, .ready)

        var fresh = multipart
        fresh.id = "00000000-0000-4000-8000-000000000003"
        fresh.status = .uploading
        try store.insert(fresh, audit: AuditEntry(actor: "alice", action: "upload.create", resource: "document:\(fresh.id)",
                                                  clientAddress: "", at: 1_000))
        XCTAssertThrowsError(try runner.run(.completeRequested, on: fresh, request), "a first completion of an upload that is gone is not excused") { error in
            XCTAssertEqual(error as? StoreRefusal, StoreRefusal(code: "NoSuchUpload"))
        }
    }
}
