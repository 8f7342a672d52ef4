import XCTest
import PresigndHTTP
@testable import PresigndSigning
import PresigndUploads

final class MultipartPlanTests: XCTestCase {
    let mib: Int64 = 1 << 20

    func testPlansPartsOfEqualSizeWithASmallerLastOne() throws {
        let plan = try MultipartPlan(fileSize: 25 * mib, preferredPartSize: 8 * mib)
        XCTAssertEqual(plan.partSize, 8 * mib)
        XCTAssertEqual(plan.partCount, 4)
        XCTAssertEqual((1...4).map { plan.size(ofPart: $0) }, [8 * mib, 8 * mib, 8 * mib, mib])
        XCTAssertNil(plan.size(ofPart: 0))
        XCTAssertNil(plan.size(ofPart: 5))
        XCTAssertEqual(try MultipartPlan(fileSize: 1, preferredPartSize: 8 * mib).partCount, 1)
        XCTAssertEqual(try MultipartPlan(fileSize: 10 * mib, preferredPartSize: 1).partSize, 5 * mib, "never under S3's 5 MiB")
    }

    func testGrowsPartsToStayWithinTenThousand() throws {
        let plan = try MultipartPlan(fileSize: MultipartPlan.maximumObjectSize, preferredPartSize: 8 * mib)
        XCTAssertLessThanOrEqual(plan.partCount, 10_000)
        XCTAssertEqual(plan.partSize % mib, 0)
        XCTAssertLessThanOrEqual(plan.partSize, MultipartPlan.maximumPartSize)
        let justOver = try MultipartPlan(fileSize: 10_000 * 8 * mib + 1, preferredPartSize: 8 * mib)
        XCTAssertEqual(justOver.partSize, 9 * mib)
        XCTAssertLessThanOrEqual(justOver.partCount, 10_000)
    }

    func testRefusesWhatS3Refuses() {
        XCTAssertThrowsError(try MultipartPlan(fileSize: MultipartPlan.maximumObjectSize + 1, preferredPartSize: 8 * mib)) { error in
            XCTAssertEqual((error as? APIError)?.code, "file_too_large")
            XCTAssertTrue((error as? APIError)?.message.contains("5 TiB") == true)
        }
        XCTAssertThrowsError(try MultipartPlan(fileSize: 0, preferredPartSize: 8 * mib))
        let plan = try! MultipartPlan(fileSize: 20 * mib, preferredPartSize: 8 * mib)
        XCTAssertNoThrow(try plan.checkPartNumbers([1, 2, 3]))
        XCTAssertThrowsError(try plan.checkPartNumbers([4])) { XCTAssertEqual(($0 as? APIError)?.code, "invalid_part_number") }
        XCTAssertThrowsError(try plan.checkPartNumbers([1, 1]))
        XCTAssertThrowsError(try plan.checkPartNumbers([]))
        XCTAssertThrowsError(try plan.checkPartNumbers(Array(repeating: 1, count: 101)))
        XCTAssertThrowsError(try MultipartPlan.checkFreePartNumbers([10_001]))
        XCTAssertNoThrow(try MultipartPlan.checkFreePartNumbers([10_000, 1]))
    }

    func part(_ n: Int, _ size: Int64, etag: String? = nil) -> UploadedPartInfo {
        UploadedPartInfo(number: n, etag: etag ?? "\"e\(n)\"", size: size)
    }

    func testCompletionIsCheckedAgainstTheStoredParts() throws {
        let plan = try MultipartPlan(fileSize: 12 * mib, preferredPartSize: 5 * mib)  // 5, 5, 2
        let stored = [part(1, 5 * mib), part(2, 5 * mib), part(3, 2 * mib)]
        let good = [(number: 1, etag: "e1"), (number: 2, etag: "\"e2\""), (number: 3, etag: "\"e3\"")]
        XCTAssertNoThrow(try MultipartPlan.checkCompletion(good, stored: stored, plan: plan, maxSize: 20 * mib), "ETags match without their quotes")

        func code(_ parts: [(number: Int, etag: String)], _ stored: [UploadedPartInfo], plan: MultipartPlan?, max: Int64 = 20 << 20) -> String? {
            do {
                try MultipartPlan.checkCompletion(parts, stored: stored, plan: plan, maxSize: max)
                return nil
            } catch {
                return error.code.rawValue
            }
        }
        XCTAssertEqual(code(Array(good.prefix(2)), stored, plan: plan), "invalid_parts", "a missing part in the list")
        XCTAssertEqual(code(good, Array(stored.prefix(2)), plan: plan), "missing_part", "a part never uploaded")
        XCTAssertEqual(code([good[1], good[0], good[2]], stored, plan: plan), "invalid_parts", "out of order")
        XCTAssertEqual(code([good[0], (2, "\"other\""), good[2]], stored, plan: plan), "invalid_parts", "wrong ETag")
        XCTAssertEqual(code(good, [part(1, 5 * mib), part(2, 4 * mib), part(3, 3 * mib)], plan: plan), "invalid_part_size")
        XCTAssertEqual(code(good, [part(1, 5 * mib), part(2, 4 * mib), part(3, 3 * mib)], plan: nil), "part_too_small",
                       "without a plan, S3's 5 MiB minimum still holds (ministack does not check it, AWS does)")
        XCTAssertNil(code(good, [part(1, 6 * mib), part(2, 5 * mib), part(3, 1)], plan: nil))
        XCTAssertEqual(code(good, stored, plan: nil, max: 11 * mib), "file_too_large")
        XCTAssertEqual(code([], stored, plan: nil), "invalid_parts")
    }
}

final class S3XMLTests: XCTestCase {
    func testReadsListPartsPagesAndErrors() throws {
        let page = S3XML(Array("""
            <?xml version="1.0" encoding="UTF-8"?>
            <ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>b</Bucket><Key>k</Key><UploadId>u</UploadId>
            <PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>2</NextPartNumberMarker><MaxParts>2</MaxParts><IsTruncated>true</IsTruncated>
            <Part><PartNumber>1</PartNumber><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>&quot;abc&quot;</ETag><Size>5242880</Size></Part>
            <Part><PartNumber>2</PartNumber><ETag>"def"</ETag><Size>10</Size></Part>
            </ListPartsResult>
            """.utf8))
        let listed = try XCTUnwrap(page.listedParts())
        XCTAssertEqual(listed.parts, [UploadedPartInfo(number: 1, etag: "\"abc\"", size: 5_242_880), UploadedPartInfo(number: 2, etag: "\"def\"", size: 10)])
        XCTAssertEqual(listed.nextMarker, "2")
        XCTAssertNil(page.errorCode)

        let error = S3XML(Array("<Error><Code>NoSuchUpload</Code><Message>gone &amp; away</Message></Error>".utf8))
        XCTAssertEqual(error.errorCode, "NoSuchUpload")
        XCTAssertEqual(error.elements("Error").first?.value("Message"), "gone & away")
        XCTAssertEqual(S3XML(Array("<InitiateMultipartUploadResult><UploadId>a/b+c=</UploadId></InitiateMultipartUploadResult>".utf8)).value("UploadId"), "a/b+c=")
        XCTAssertNil(S3XML(Array("<Part><PartNumber>x</PartNumber></Part>".utf8)).listedParts(), "a malformed part is refused, not skipped")
    }

    func testWritesTheCompletionBodyEscaped() {
        let body = String(decoding: S3XML.completeMultipartUpload([(1, "\"a&b\""), (2, "c")]), as: UTF8.self)
        XCTAssertEqual(body, #"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><PartNumber>1</PartNumber><ETag>&quot;a&amp;b&quot;</ETag></Part><Part><PartNumber>2</PartNumber><ETag>c</ETag></Part></CompleteMultipartUpload>"#)
    }

    /// Issue 21: a client that comes back after a reload is told what to send by presignd's plan,
    /// not by the store's list: a part of the wrong size (tampered, or from another file), a part
    /// outside the plan, or (with the client's digests) a part of other content is sent again.
    func testResumeCountsOnlyPartsThatMatchThePlan() throws {
        let plan = try MultipartPlan(fileSize: 12 << 20, preferredPartSize: 5 << 20)  // 5 + 5 + 2 MiB
        XCTAssertEqual(plan.partCount, 3)
        let stored = [UploadedPartInfo(number: 3, etag: "c", size: 2 << 20),
                      UploadedPartInfo(number: 1, etag: "a", size: 5 << 20, checksumSHA256: "one"),
                      UploadedPartInfo(number: 2, etag: "b", size: (5 << 20) - 1),
                      UploadedPartInfo(number: 4, etag: "d", size: 5 << 20)]
        let resumed = plan.resume(stored: stored)
        XCTAssertEqual(resumed.done.map(\.number), [1, 3], "in order; part 2 is a byte short, part 4 is not in the plan")
        XCTAssertEqual(resumed.missing, [2])
        let other = plan.resume(stored: stored, checksums: [1: "not one", 3: "three"])
        XCTAssertEqual(other.done.map(\.number), [3], "part 1's stored digest is not the client's; part 3 has none stored to compare")
        XCTAssertEqual(other.missing, [1, 2])
        XCTAssertEqual(plan.resume(stored: []).missing, [1, 2, 3])
    }
}
