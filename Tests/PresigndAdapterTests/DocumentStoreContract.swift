@testable import PresigndApp
import PresigndSupport
import PresigndUploads
import XCTest

/// What every `DocumentStore` must answer, written once and run against both the in-memory
/// store and PostgreSQL (`MemoryDocumentStoreContractTests`, `PostgresDocumentStoreTests`): a
/// new state or rule is added in one place and checked against both.
struct DocumentStoreContract {
    let store: any DocumentStore
    /// The audit log's actions, oldest first, as the store wrote them.
    let auditActions: () throws -> [String]

    static let t0: UnixSeconds = 1_700_000_000

    func entry(_ action: AuditAction?, _ id: String, actor: String = "alice", at: UnixSeconds = t0) -> AuditEntry {
        AuditEntry(actor: actor, action: action, resource: "document:\(id)", clientAddress: "192.0.2.1", at: at)
    }

    func record(_ n: Int, owner: String = "alice", status: UploadStatus = .pending, at: UnixSeconds = t0,
                uploadID: String? = nil) -> DocumentRecord {
        let digits = String(n)
        let id = "00000000-0000-4000-8000-" + String(repeating: "0", count: 12 - digits.count) + digits
        return DocumentRecord(id: id, ownerID: owner, objectKey: "documents/\(owner)/\(id).pdf", purpose: "document",
                              fileName: "c.pdf", declaredSize: 100, declaredType: "application/pdf", status: status,
                              uploadID: uploadID, partSize: uploadID == nil ? nil : 5 << 20, createdAt: at)
    }

    /// Inserts `record` and moves it along the lifecycle to `status` (as the flows do).
    @discardableResult
    func make(_ n: Int, owner: String = "alice", status: UploadStatus, at: UnixSeconds = t0) throws -> DocumentRecord {
        let multipart = status == .uploading || status == .completing
        var row = record(n, owner: owner, status: .initial(multipart: multipart), at: at, uploadID: multipart ? "upload-\(n)" : nil)
        try store.insert(row, audit: entry(multipart ? .uploadCreate : .uploadPresign, row.id, actor: owner, at: at))
        let path: [(UploadStatus, AuditAction?)]
        switch status {
        case .pending, .uploading: path = []
        case .completing: path = [(.completing, nil)]
        case .ready: path = [(.ready, .uploadConfirm)]
        case .rejected: path = [(.rejected, .uploadReject)]
        case .aborted: path = [(.aborted, .uploadAbort)]
        case .expired: path = [(.expired, .uploadExpire)]
        case .deleting: path = [(.ready, .uploadConfirm), (.deleting, .documentDelete)]
        }
        for (to, action) in path {
            let change = UploadChange(to: to, audit: action, actualSize: to == .ready ? 90 : nil, actualType: to == .ready ? "application/pdf" : nil)
            XCTAssertTrue(try store.transition(id: row.id, from: row.status, change, audit: entry(action, row.id, actor: owner, at: at)))
            row.status = to
        }
        return row
    }

    /// A transition happens only from the state it was read in, and writes its audit row only
    /// when it names an action.
    func transitionsAreConditionalAndAudited() throws {
        let row = try make(1, status: .pending)
        let before = try auditActions().count
        let confirm = UploadChange(to: .ready, audit: .uploadConfirm, actualSize: 90, actualType: "application/pdf")
        XCTAssertTrue(try store.transition(id: row.id, from: .pending, confirm, audit: entry(.uploadConfirm, row.id)))
        XCTAssertFalse(try store.transition(id: row.id, from: .pending, confirm, audit: entry(.uploadConfirm, row.id)), "the row moved on")
        XCTAssertEqual(try auditActions().count, before + 1, "one audit row for the one change")
        let read = try XCTUnwrap(try store.document(id: row.id))
        XCTAssertEqual(read.status, .ready)
        XCTAssertEqual(read.actualSize, 90)
        XCTAssertEqual(read.actualType, "application/pdf")

        let multipart = try make(2, status: .uploading)
        XCTAssertEqual(try store.document(uploadID: "upload-2")?.id, multipart.id)
        XCTAssertTrue(try store.transition(id: multipart.id, from: .uploading, UploadChange(to: .completing, audit: nil),
                                           audit: entry(nil, multipart.id)))
        XCTAssertEqual(try auditActions().count, before + 2, "an internal step writes no audit row")
        XCTAssertNil(try store.document(id: "00000000-0000-4000-8000-999999999999"))
    }

    /// Unfinished uploads created before the cut-off, and deletes that have been `deleting`
    /// since before theirs, oldest first; nothing else.
    func sweepCandidatesFollowTheLifecycle() throws {
        let t = DocumentStoreContract.t0
        var expected: [String] = []
        for (n, status) in UploadStatus.allCases.enumerated() {
            let old = try make(10 + n, status: status, at: t + Int64(n))
            if status.isUnfinished || !status.isVisibleToOwner { expected.append(old.id) }
            try make(30 + n, status: status, at: t + 10_000)  // too young, or deleted too recently
        }
        let candidates = try store.sweepCandidates(createdBefore: t + 5_000, updatedBefore: t + 5_000, limit: 100)
        XCTAssertEqual(candidates.map(\.id), expected)
        XCTAssertEqual(try store.sweepCandidates(createdBefore: t + 5_000, updatedBefore: t + 5_000, limit: 2).map(\.id),
                       Array(expected.prefix(2)))
    }

    /// Only available documents are listed, downloaded and shared; the owner's and those shared
    /// with the caller, newest first, page by page.
    func listingDownloadAndSharingSeeOnlyAvailableDocuments() throws {
        let t = DocumentStoreContract.t0
        for (n, status) in UploadStatus.allCases.enumerated() where status != .ready {
            let row = try make(50 + n, status: status, at: t + Int64(n))
            XCTAssertNil(try store.openForDownload(id: row.id, userID: "alice", audit: entry(.documentDownload, row.id)), "\(status)")
            XCTAssertFalse(try store.share(documentID: row.id, ownerID: "alice", with: "bob", audit: entry(.documentShare, row.id)), "\(status)")
        }
        let mine = try make(60, status: .ready, at: t + 100)
        let older = try make(61, status: .ready, at: t + 50)
        let bobs = try make(62, owner: "bob", status: .ready, at: t + 200)
        let before = try auditActions().count
        XCTAssertEqual(try store.listAccessible(userID: "alice", after: nil, limit: 10).map(\.id), [mine.id, older.id])
        XCTAssertNil(try store.openForDownload(id: bobs.id, userID: "alice", audit: entry(.documentDownload, bobs.id)))
        XCTAssertEqual(try auditActions().count, before, "a refused download writes nothing")

        XCTAssertTrue(try store.share(documentID: bobs.id, ownerID: "bob", with: "alice", audit: entry(.documentShare, bobs.id, actor: "bob")))
        XCTAssertTrue(try store.share(documentID: bobs.id, ownerID: "bob", with: "alice", audit: entry(.documentShare, bobs.id, actor: "bob")))
        XCTAssertFalse(try store.share(documentID: bobs.id, ownerID: "alice", with: "carol", audit: entry(.documentShare, bobs.id)),
                       "only the owner shares")
        XCTAssertEqual(try auditActions().filter { $0 == "document.share" }.count, 1, "sharing twice writes one audit row")
        XCTAssertEqual(try store.listAccessible(userID: "alice", after: nil, limit: 10).map(\.id), [bobs.id, mine.id, older.id])
        XCTAssertEqual(try store.listAccessible(userID: "alice", after: DocumentCursor(createdAt: t + 200, id: bobs.id), limit: 1).map(\.id),
                       [mine.id])
        XCTAssertEqual(try store.openForDownload(id: bobs.id, userID: "alice", audit: entry(.documentDownload, bobs.id))?.id, bobs.id)

        XCTAssertTrue(try store.unshare(documentID: bobs.id, ownerID: "bob", from: "alice", audit: entry(.documentUnshare, bobs.id, actor: "bob")))
        XCTAssertFalse(try store.unshare(documentID: bobs.id, ownerID: "bob", from: "alice", audit: entry(.documentUnshare, bobs.id, actor: "bob")))
        XCTAssertEqual(try store.listAccessible(userID: "alice", after: nil, limit: 10).map(\.id), [mine.id, older.id])
    }

    /// Usage counts the states that hold quota, each at what it is charged; a removed delete is gone.
    func usageCountsWhatHoldsQuota() throws {
        for (n, status) in UploadStatus.allCases.enumerated() {
            try make(70 + n, owner: "carol", status: status)
        }
        let holding = UploadStatus.allCases.filter(\.holdsQuota)
        let bytes = holding.reduce(Int64(0)) { $0 + $1.charged(declared: 100, actual: 90) }
        XCTAssertEqual(try store.usage(ownerID: "carol"), [PurposeUsage(purpose: "document", files: Int64(holding.count), bytes: bytes)])

        let deleting = try make(90, owner: "dave", status: .deleting)
        try store.removeDeleted(id: deleting.id)
        XCTAssertNil(try store.document(id: deleting.id))
        let ready = try make(91, owner: "dave", status: .ready)
        try store.removeDeleted(id: ready.id)
        XCTAssertNotNil(try store.document(id: ready.id), "only a row being deleted is removed")
    }
}

/// The contract against the in-memory store.
final class MemoryDocumentStoreContractTests: XCTestCase {
    func contract() -> DocumentStoreContract {
        let store = MemoryDocumentStore()
        return DocumentStoreContract(store: store, auditActions: { store.auditLog.compactMap { $0.action?.rawValue } })
    }

    func testTransitionsAreConditionalAndAudited() throws { try contract().transitionsAreConditionalAndAudited() }
    func testSweepCandidatesFollowTheLifecycle() throws { try contract().sweepCandidatesFollowTheLifecycle() }
    func testListingDownloadAndSharingSeeOnlyAvailableDocuments() throws { try contract().listingDownloadAndSharingSeeOnlyAvailableDocuments() }
    func testUsageCountsWhatHoldsQuota() throws { try contract().usageCountsWhatHoldsQuota() }
}
