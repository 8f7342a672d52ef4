import XCTest
import PresigndApp
import PresigndSupport
import PresigndHTTP
import PresigndSigning
import PresigndUploads
import PresigndMetrics
@testable import PresigndPostgres
@testable import PresigndStorage

/// The statements built once must be exactly what interpolation writes: same text, same binds in
/// the same order. Every value differs from every other, so a bind in the wrong place fails.
final class PostgresDocumentStoreStatementTests: XCTestCase {
    let audit = AuditEntry(actor: "actor-1", action: "upload.presign", resource: "res-2", clientAddress: "192.0.2.3", at: 1_700_000_004)
    let record = DocumentRecord(id: "00000000-0000-4000-8000-000000000005", ownerID: "owner-6", objectKey: "key-7",
                                purpose: "purpose-8", fileName: "file-9.pdf", declaredSize: 10, declaredType: "type/eleven",
                                status: .uploading, uploadID: "upload-12", partSize: 13, createdAt: 1_700_000_014)

    func assertSame(_ fast: SQL, _ interpolated: SQL, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(fast.text, interpolated.text, file: file, line: line)
        XCTAssertEqual(fast.binds, interpolated.binds, file: file, line: line)
        XCTAssertNotNil(fast.statementID, file: file, line: line)
    }

    func testInsertStatementsMatchTheirInterpolatedSQL() {
        assertSame(PostgresDocumentStore.insertUntrackedStatement(PostgresDocumentStore.insertUntrackedBinds(record, audit: audit)),
                   PostgresDocumentStore.insertUntrackedSQL(record, audit: audit))
        var bare = record
        bare.uploadID = nil
        bare.partSize = nil
        assertSame(PostgresDocumentStore.insertUntrackedStatement(PostgresDocumentStore.insertUntrackedBinds(bare, audit: audit)),
                   PostgresDocumentStore.insertUntrackedSQL(bare, audit: audit))
        for quota in [nil, UploadQuota(maxBytes: 15, maxFiles: 16), UploadQuota(maxBytes: nil, maxFiles: 17), UploadQuota(maxBytes: 18, maxFiles: nil)] {
            assertSame(PostgresDocumentStore.insertTrackedStatement(PostgresDocumentStore.insertTrackedBinds(record, audit: audit, quota: quota)),
                       PostgresDocumentStore.insertTrackedSQL(record, audit: audit, quota: quota))
        }
    }

    func testDownloadAndAuditStatementsMatchTheirInterpolatedSQL() {
        assertSame(PostgresDocumentStore.openForDownloadStatement(PostgresDocumentStore.openForDownloadBinds(id: "id-19", userID: "user-20", audit: audit)),
                   PostgresDocumentStore.openForDownloadSQL(id: "id-19", userID: "user-20", audit: audit))
        assertSame(PostgresDocumentStore.recordAuditStatement(PostgresDocumentStore.auditBinds(audit)),
                   PostgresDocumentStore.recordAuditSQL(audit))
    }

    func testStatementsHaveTheirOwnNumbers() {
        let ids = [PostgresDocumentStore.insertTrackedStatement.id, PostgresDocumentStore.insertUntrackedStatement.id,
                   PostgresDocumentStore.openForDownloadStatement.id, PostgresDocumentStore.recordAuditStatement.id]
        XCTAssertEqual(Set(ids).count, ids.count)
    }
}
