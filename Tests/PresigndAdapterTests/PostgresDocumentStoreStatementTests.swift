import XCTest
@testable import PresigndApp
import PresigndUploads
@testable import PresigndPostgres
@testable import PresigndStorage

/// The hot statements are each one description (numbered text, binds from named fields): every
/// number from $1 to $n appears in the text, and the binds fill exactly those numbers, whatever
/// the optional fields hold. That they write the right rows is PostgresDocumentStoreTests' job,
/// against a real server.
final class PostgresDocumentStoreStatementTests: XCTestCase {
    let audit = AuditEntry(actor: "actor-1", action: "upload.presign", resource: "res-2", clientAddress: "192.0.2.3", at: 1_700_000_004)
    let record = DocumentRecord(id: "00000000-0000-4000-8000-000000000005", ownerID: "owner-6", objectKey: "key-7",
                                purpose: "purpose-8", fileName: "file-9.pdf", declaredSize: 10, declaredType: "type/eleven",
                                status: .uploading, uploadID: "upload-12", partSize: 13, createdAt: 1_700_000_014,
                                checksum: "MD5:XrY7u+Ae7tCTyyK7j1rNww==")

    func assertWellFormed(_ statement: some HotStatement, file: StaticString = #filePath, line: UInt = #line) {
        let text = type(of: statement).statement.text
        let count = type(of: statement).statement.parameterCount
        XCTAssertEqual(statement.binds.count, count, file: file, line: line)
        for number in 1...count {
            XCTAssertTrue(text.contains("$\(number)") , "$\(number) is never used", file: file, line: line)
        }
        XCTAssertFalse(text.contains("$\(count + 1)"), file: file, line: line)
        XCTAssertEqual(statement.sql.binds, statement.binds, file: file, line: line)
    }

    func testEveryParameterIsNumberedAndBound() {
        var bare = record
        bare.uploadID = nil
        bare.partSize = nil
        for row in [record, bare] {
            for bucket in [nil, "bucket-24"] {
                for quota in [UploadQuota(maxBytes: 15, maxFiles: 16), UploadQuota(maxBytes: nil, maxFiles: 17)] {
                    assertWellFormed(PostgresDocumentStore.Insert(record: row, audit: audit, quota: quota, bucket: bucket))
                }
                assertWellFormed(PostgresDocumentStore.InsertUnlimited(record: row, audit: audit, bucket: bucket))
            }
        }
        assertWellFormed(PostgresDocumentStore.OpenForDownload(id: "id-19", userID: "user-20", audit: audit))
        assertWellFormed(PostgresDocumentStore.RecordAudit(audit: audit))
    }

    func testARepeatedValueHasOneNumber() {
        let binds = PostgresDocumentStore.Insert(record: record, audit: audit, quota: UploadQuota(maxBytes: 15, maxFiles: 16), bucket: nil).binds
        XCTAssertEqual(binds.filter { $0 == "10" }.count, 2, "the declared size: $3 for the quota sums, once more among the document's values")
        XCTAssertEqual(binds.filter { $0 == "owner-6" }.count, 2)
    }

    func testStatementsHaveTheirOwnNumbers() {
        let ids = [PostgresDocumentStore.Insert.statement.id, PostgresDocumentStore.InsertUnlimited.statement.id,
                   PostgresDocumentStore.OpenForDownload.statement.id, PostgresDocumentStore.RecordAudit.statement.id]
        XCTAssertEqual(Set(ids).count, ids.count)
    }

    /// Rows are read by name: the usual column order by position once the names are checked,
    /// any other order by looking each name up; both give the same record, and an unknown status
    /// is an error either way.
    func testRowsDecodeByColumnNameInAnyOrder() throws {
        let names = PostgresDocumentStore.recordColumns
        let values: [String?] = ["00000000-0000-4000-8000-000000000005", "owner-6", "key-7", "purpose-8", "file-9.pdf", "10",
                                 "type/eleven", nil, nil, "uploading", nil, "upload-12", "13", "1700000014", "MD5:XrY7u+Ae7tCTyyK7j1rNww=="]
        let inOrder = try PostgresDocumentStore.record(PostgresRow(values, columns: names))
        XCTAssertEqual(inOrder, record)
        let reversed = try PostgresDocumentStore.record(PostgresRow(values.reversed(), columns: names.reversed()))
        XCTAssertEqual(reversed, record)
        var unknown = values
        unknown[9] = "quarantined"
        XCTAssertThrowsError(try PostgresDocumentStore.record(PostgresRow(unknown, columns: names)))
        XCTAssertThrowsError(try PostgresDocumentStore.record(PostgresRow(unknown.reversed(), columns: names.reversed())))
    }
}
