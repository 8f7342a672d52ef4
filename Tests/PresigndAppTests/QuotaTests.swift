@testable import PresigndApp
import PresigndSupport
import PresigndUploads
import XCTest

/// Quota configuration and the refusal's words; the reservation itself is PostgreSQL's
/// (Tests/integration/test_quotas.py races 50 presigns against it).
final class QuotaTests: XCTestCase {
    func testPurposeQuotasAndTheDefaultForPurposesWithout() throws {
        let env = Environment([
            "PRESIGND_PURPOSES": #"{"avatar":{"prefix":"avatars","maxSize":4096,"quotaFiles":3},"doc":{"prefix":"docs","maxSize":100}}"#,
            "PRESIGND_QUOTA_BYTES": "1048576",
        ])
        let config = try FlowsConfig.from(env)
        XCTAssertEqual(config.purposes["avatar"]?.quota, UploadQuota(maxBytes: nil, maxFiles: 3))
        XCTAssertEqual(config.purposes["doc"]?.quota, UploadQuota(maxBytes: 1_048_576, maxFiles: nil))
        XCTAssertTrue(try FlowsConfig.from(Environment([:])).purposes.all.allSatisfy { $0.quota == nil })
        XCTAssertThrowsError(try UploadPurposes.parse(#"{"a":{"prefix":"a","maxSize":1,"quotaFiles":0}}"#, variable: "P")) { error in
            XCTAssertEqual("\(error)", #"P: purpose "a": "quotaFiles" must be a whole number of files, at least 1"#)
        }
    }

    func testTheRefusalSaysTheLimitTheUsageAndWhatToDo() {
        let refusal = QuotaExceeded(purpose: "avatar", quota: UploadQuota(maxBytes: 5 << 20, maxFiles: 10),
                                    usage: PurposeUsage(purpose: "avatar", files: 10, bytes: 4_404_019), requested: 2048).apiError
        XCTAssertEqual(refusal.status, 403)
        XCTAssertEqual(refusal.code, "quota_exceeded")
        XCTAssertEqual(refusal.message, """
            this upload (2.0 KiB) would exceed your "avatar" quota of 10 files and 5.0 MiB; you use 10 files and 4.2 MiB, \
            unfinished uploads counted at their declared size; delete files you no longer need (DELETE /api/documents/{id}) \
            or let unfinished uploads finish or expire, then try again (GET /api/usage shows your usage)
            """)
        XCTAssertEqual(QuotaExceeded.size(1), "1 byte")
        XCTAssertEqual(QuotaExceeded.size(1023), "1023 bytes")
        XCTAssertEqual(QuotaExceeded.size(3 << 30), "3.0 GiB")
    }

    func testWhatHoldsQuotaAndWhatItCounts() {
        var record = DocumentRecord(id: "1", ownerID: "a", objectKey: "k", purpose: "p", fileName: "f", declaredSize: 100,
                                    declaredType: "t", status: .pending, createdAt: 0)
        XCTAssertEqual(record.chargedBytes, 100)
        record.status = .ready
        record.actualSize = 40
        XCTAssertEqual(record.chargedBytes, 40)
        XCTAssertEqual(UploadStatus.allCases.filter(\.holdsQuota), [.pending, .uploading, .completing, .ready])
    }
}
