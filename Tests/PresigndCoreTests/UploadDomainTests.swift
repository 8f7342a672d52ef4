import XCTest
import PresigndCrypto
@testable import PresigndSupport
@testable import PresigndHTTP
@testable import PresigndUploads

final class UserKeySegmentTests: XCTestCase {
    func segment(_ id: String) -> String? { UserKeySegment.make(id, sha256: { Digest.sha256($0) }) }

    func testCommonIdsStayReadable() {
        XCTAssertEqual(segment("user-123"), "user-123")
        XCTAssertEqual(segment("auth0|123"), "auth0~7C123")
        XCTAssertEqual(segment("alice@example.com"), "alice~40example.com")
    }

    func testHostileIdsNeverLeaveTheirSegment() {
        XCTAssertEqual(segment("../bob"), "~2E~2E~2Fbob")
        XCTAssertEqual(segment(".."), "~2E~2E")
        XCTAssertEqual(segment("."), "~2E")
        XCTAssertEqual(segment("a..b"), "a.~2Eb")
        XCTAssertEqual(segment("a/b"), "a~2Fb")
        XCTAssertEqual(segment("~"), "~7E")
        XCTAssertEqual(segment("é"), "~C3~A9")
        XCTAssertNil(segment(""))
        for id in ["../bob", "..", "./x", "a/../b", "\u{0}", "a\\b", "%2e%2e", ". .", "...."] {
            let s = segment(id)!
            XCTAssertFalse(s.contains("/"), id)
            XCTAssertFalse(s.contains(".."), id)
            XCTAssertFalse(s.hasPrefix("."), id)
        }
    }

    func testMappingIsReversibleSoDistinctIdsNeverCollide() {
        let ids = ["bob", "Bob", "~7E", "~", "a.b", "a~2Eb", "a..b", "a.~2Eb", "../bob", "~2E~2E~2Fbob", "auth0|1", "auth0~7C1", "x y", "x+y"]
        var seen: [String: String] = [:]
        for id in ids {
            let s = segment(id)!
            XCTAssertEqual(UserKeySegment.decode(s), id)
            if let other = seen[s] { XCTFail("\(id) and \(other) share \(s)") }
            seen[s] = id
        }
    }

    func testLongIdsAreHashedIntoAFormNoEscapeProduces() {
        let long = String(repeating: "é", count: 100)
        let s = segment(long)!
        XCTAssertEqual(s, "~~" + Hex.encode(Digest.sha256(Array(long.utf8))))
        XCTAssertEqual(s.count, 66)
        XCTAssertNil(UserKeySegment.decode(s))
        XCTAssertEqual(segment(String(repeating: "a", count: 200)), String(repeating: "a", count: 200))
        XCTAssertTrue(segment(String(repeating: "a", count: 201))!.hasPrefix("~~"))
    }
}

final class FileNameTests: XCTestCase {
    func testPathPartsAreStripped() {
        XCTAssertEqual(FileName.sanitize("../../etc/passwd"), "passwd")
        XCTAssertEqual(FileName.sanitize("C:\\Users\\me\\report.pdf"), "report.pdf")
        XCTAssertEqual(FileName.sanitize("dir/"), nil)
        XCTAssertEqual(FileName.sanitize(".."), nil)
        XCTAssertEqual(FileName.sanitize(" .hidden. "), "hidden")
    }

    /// Regression: "/" or "\\" followed by a combining mark is one Character that is not "/",
    /// so a Character-wise split kept the whole path ("a/\u{301}b.pdf" came back unchanged).
    func testRegressionSeparatorHiddenInAGraphemeClusterIsStillStripped() {
        // The orphaned combining mark stays (it is harmless); the path part does not.
        XCTAssertEqual(FileName.sanitize("a/\u{301}b.pdf"), "\u{301}b.pdf")
        XCTAssertEqual(FileName.sanitize("..\u{301}/\u{301}..\\\u{301}evil.pdf"), "\u{301}evil.pdf")
        for raw in ["x/\u{301}y", "x\\\u{20DD}y", "../\u{FE0F}etc/\u{301}passwd"] {
            let name = FileName.sanitize(raw) ?? ""
            XCTAssertFalse(name.unicodeScalars.contains("/") || name.unicodeScalars.contains("\\"), "\(raw.debugDescription) → \(name.debugDescription)")
        }
    }

    func testControlAndBidiCharactersAreRemoved() {
        XCTAssertEqual(FileName.sanitize("a\r\nb\u{0}.txt"), "ab.txt")
        XCTAssertEqual(FileName.sanitize("evil\u{202E}fdp.exe"), "evilfdp.exe")
        XCTAssertEqual(FileName.sanitize("résumé 2024.pdf"), "résumé 2024.pdf")
    }

    func testLengthIsCappedKeepingTheExtension() {
        let name = String(repeating: "é", count: 200) + ".pdf"
        let capped = FileName.sanitize(name)!
        XCTAssertLessThanOrEqual(capped.utf8.count, 255)
        XCTAssertEqual(capped.utf8.count, 254)  // 125 two-byte characters + ".pdf"
        XCTAssertTrue(capped.hasSuffix("é.pdf"))
    }

    func testExtensionKeptOnlyWhenShortAndAlphanumeric() {
        let cases = [("photo.JPG", ".jpg"), ("archive.tar.gz", ".gz"), ("README", ""), ("x.verylongextension", ""), ("x.p-f", ""),
                     ("x.pdf ", ""), ("x.é", ""), (".bashrc", ""), ("x.", "")]
        for (name, expected) in cases {
            XCTAssertEqual(FileName.keyExtension(name), expected, name)
        }
    }

    func testObjectKeyLayout() {
        let purpose = UploadPurposes.defaults["avatar"]!
        XCTAssertEqual(ObjectKey.make(purpose: purpose, userSegment: "auth0~7C1", fileID: "f", fileName: "Me.PNG"),
                       "avatars/auth0~7C1/f.png")
        XCTAssertEqual(ObjectKey.make(purpose: UploadPurposes.defaults["document"]!, userSegment: "u", fileID: "f", fileName: "notes"),
                       "documents/u/f")
    }

    func testDocumentIDsAreVersion7TheMillisecondsFirst() {
        // RFC 9562 appendix A.6's example: 2022-02-22 19:22:22 UTC (0x017F22E279B0 ms).
        XCTAssertEqual(DocumentID.make(milliseconds: 0x017F_22E2_79B0, randomBytes: [0xCC, 0xC3, 0x98, 0xC4, 0xDC, 0x0C, 0x0C, 0x07, 0x39, 0x8F]),
                       "017f22e2-79b0-7cc3-98c4-dc0c0c07398f")
        XCTAssertEqual(DocumentID.make(milliseconds: 0, randomBytes: [UInt8](repeating: 0xFF, count: 10)), "00000000-0000-7fff-bfff-ffffffffffff")
        XCTAssertEqual(DocumentID.make(milliseconds: 1, randomBytes: [UInt8](repeating: 0, count: 10)), "00000000-0001-7000-8000-000000000000")
    }

    func testDocumentIDsSortByTimeAndAreValid() {
        let earlier = DocumentID.make(milliseconds: 1_765_000_000_000, randomBytes: [UInt8](repeating: 0xFF, count: 10))
        let later = DocumentID.make(milliseconds: 1_765_000_000_001, randomBytes: [UInt8](repeating: 0, count: 10))
        XCTAssertLessThan(earlier, later, "a later millisecond sorts later whatever the random bits")
        let fresh = DocumentID.random()
        XCTAssertTrue(DocumentID.isValid(fresh))
        XCTAssertEqual(Array(fresh.utf8)[14], UInt8(ascii: "7"))
        XCTAssertNotEqual(fresh, DocumentID.random())
        // Version-4 ids written before are still ids.
        XCTAssertTrue(DocumentID.isValid("9fa1b2c3-d4e5-4607-9829-3a4b5c6d7e8f"))
        XCTAssertFalse(DocumentID.isValid("ffffffff-ffff-4fff-bfff-fffffffffff"))
        XCTAssertFalse(DocumentID.isValid("ffffffff-ffff-4fff-bfff-fffffffffffg"))
        XCTAssertFalse(DocumentID.isValid("ffffffffxffff-4fff-bfff-ffffffffffff"))
    }
}

final class ContentDispositionTests: XCTestCase {
    func testRegressionInlineOnlyForTypesThatRunNoScript() {
        for safe in ["image/png", "IMAGE/JPEG", "application/pdf", "text/plain; charset=utf-8", "video/mp4", "audio/mpeg"] {
            XCTAssertEqual(ContentDisposition.allowedKind(.inline, contentType: safe), .inline, safe)
        }
        for risky in ["text/html", "image/svg+xml", "Image/SVG+XML; charset=utf-8", "application/xhtml+xml",
                      "application/javascript", "text/xml", "application/octet-stream", ""] {
            XCTAssertEqual(ContentDisposition.allowedKind(.inline, contentType: risky), .attachment, risky)
        }
        XCTAssertEqual(ContentDisposition.allowedKind(.attachment, contentType: "image/png"), .attachment)
    }

    func testASCIINameHasBothForms() {
        XCTAssertEqual(ContentDisposition.header(.attachment, fileName: "report.pdf"),
                       "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf")
        XCTAssertEqual(ContentDisposition.header(.inline, fileName: "a b.txt"),
                       "inline; filename=\"a b.txt\"; filename*=UTF-8''a%20b.txt")
    }

    func testNonASCIIGetsUnderscoreFallbackAndUTF8Encoding() {
        XCTAssertEqual(ContentDisposition.header(.attachment, fileName: "résumé.pdf"),
                       "attachment; filename=\"r_sum_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf")
    }

    func testQuotesAndLineBreaksAreNeutralised() {
        let value = ContentDisposition.header(.attachment, fileName: "a\"b\\c\r\nSet-Cookie: x=1;.pdf")
        XCTAssertEqual(value, "attachment; filename=\"a_b_cSet-Cookie: x=1;.pdf\"; filename*=UTF-8''a%22b%5CcSet-Cookie%3A%20x%3D1%3B.pdf")
        XCTAssertFalse(value.contains("\r") || value.contains("\n"))
    }
}

final class UploadValidationTests: XCTestCase {
    func validate(_ purpose: String = "avatar", name: String = "me.png", type: String = "image/png", size: Int64 = 1000, method: String? = nil) throws(APIError) -> ValidatedUpload {
        try UploadValidation.validate(purpose: purpose, fileName: name, contentType: type, fileSize: size, method: method, purposes: .defaults)
    }

    func code(_ body: () throws -> ValidatedUpload) -> String? {
        do { _ = try body(); return nil } catch { return (error as? APIError)?.code.rawValue ?? "not an APIError" }
    }

    func testSeedErrorTable() {
        XCTAssertEqual(code { try validate("banner") }, "invalid_purpose")
        XCTAssertEqual(code { try validate(size: 5 * 1024 * 1024 + 1) }, "file_too_large")
        XCTAssertEqual(code { try validate(type: "application/pdf") }, "content_type_not_allowed")
        XCTAssertEqual(code { try validate(size: 0) }, "invalid_field")
        XCTAssertEqual(code { try validate(type: "image/png\r\nX-Evil: 1") }, "invalid_field")
        XCTAssertEqual(code { try validate(type: "image") }, "invalid_field")
        XCTAssertEqual(code { try validate(name: "../") }, "invalid_field")
        XCTAssertEqual(code { try validate(method: "GET") }, "invalid_field")
    }

    func testMessagesNameTheField() throws {
        do { _ = try validate(size: 6 << 20); XCTFail() } catch {
            XCTAssertEqual(error.message, "the field \"fileSize\" is 6291456 bytes; avatar files may be at most 5242880 bytes")
        }
        do { _ = try validate(type: "text/plain"); XCTFail() } catch {
            XCTAssertEqual(error.message, "the field \"contentType\" must start with image/ for avatar files")
        }
    }

    /// The seeds' pages send `file.type`, "" for a file the browser cannot type (no extension):
    /// an unknown type, accepted where the purpose takes any type, refused with a reason elsewhere.
    func testAnEmptyDeclaredTypeIsAnUnknownType() throws {
        XCTAssertEqual(try validate("document", name: "README", type: "").contentType, "application/octet-stream")
        do { _ = try validate("avatar", name: "me", type: ""); XCTFail() } catch {
            XCTAssertEqual(error.code, .contentTypeNotAllowed)
            XCTAssertEqual(error.message, "the file's type is unknown (an empty \"contentType\": the browser could not tell it from the name); "
                           + "avatar files must be image/*: declare the type or pick a file with a known extension")
        }
    }

    func testAcceptedRequest() throws {
        let upload = try validate("document", name: "/tmp/Contract.PDF", type: "application/pdf; charset=binary", size: 20 << 20, method: "put")
        XCTAssertEqual(upload.fileName, "Contract.PDF")
        XCTAssertEqual(upload.method, .put)
        XCTAssertEqual(upload.declaredSize, 20 << 20)
        XCTAssertEqual(try validate().method, .post)
        // Signed lower-cased: S3's starts-with against the purpose's "image/" is case-sensitive.
        XCTAssertEqual(try validate(type: "IMAGE/PNG").contentType, "image/png")
        XCTAssertEqual(try validate(type: "Image/PNG; q=A").contentType, "image/png; q=A")
    }
}

final class PurposeConfigTests: XCTestCase {
    func testParsesTheSeedShape() throws {
        let purposes = try UploadPurposes.parse(#"{"avatar":{"prefix":"avatars","maxSize":5242880,"allowedType":"image/"},"doc":{"prefix":"docs","maxSize":10}}"#, variable: "PRESIGND_PURPOSES")
        XCTAssertEqual(purposes.all, [
            UploadPurpose(name: "avatar", prefix: "avatars", maxSize: 5_242_880, allowedTypePrefix: "image/"),
            UploadPurpose(name: "doc", prefix: "docs", maxSize: 10, allowedTypePrefix: ""),
        ])
    }

    func testRejectsBadEntriesNamingThem() {
        let cases: [(String, String)] = [
            (#"{}"#, "PRESIGND_PURPOSES: expected a non-empty JSON object of purposes"),
            (#"{"a":{"prefix":"../x","maxSize":1}}"#, "PRESIGND_PURPOSES: purpose \"a\": \"prefix\" must be one segment of letters, digits, '-' and '_'"),
            (#"{"a":{"prefix":"x","maxSize":0}}"#, "PRESIGND_PURPOSES: purpose \"a\": \"maxSize\" must be a whole number of bytes from 1 to 5497558138880"),
            (#"{"a":{"prefix":"x","maxSize":1,"allowed":"image/"}}"#, "PRESIGND_PURPOSES: purpose \"a\": unknown field \"allowed\" (expected prefix, maxSize, allowedType, quotaBytes, quotaFiles)"),
            (#"{"a":{"prefix":"x","maxSize":1},"b":{"prefix":"x","maxSize":1}}"#, "PRESIGND_PURPOSES: purposes share the prefix \"x\"; give each its own"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try UploadPurposes.parse(text, variable: "PRESIGND_PURPOSES")) { error in
                XCTAssertEqual("\(error)", expected)
            }
        }
    }
}

final class ConfirmDecisionTests: XCTestCase {
    let avatar = UploadPurposes.defaults["avatar"]!

    func testMatchingObjectIsReady() {
        XCTAssertEqual(ConfirmDecision.decide(head: ObjectHead(size: 900, contentType: "image/png"), purpose: avatar, declaredSize: 1000, declaredType: "image/png"),
                       .ready(size: 900, contentType: "image/png"))
    }

    func testMissingObjectIsNotYetUploaded() {
        XCTAssertEqual(ConfirmDecision.decide(head: nil, purpose: avatar, declaredSize: 1000, declaredType: "image/png"), .notUploaded)
    }

    func testMismatchesAreRejectedWithReason() {
        XCTAssertEqual(ConfirmDecision.decide(head: ObjectHead(size: 1001, contentType: "image/png"), purpose: avatar, declaredSize: 1000, declaredType: "image/png"),
                       .rejected(reason: "the uploaded object is 1001 bytes but 1000 bytes were declared"))
        XCTAssertEqual(ConfirmDecision.decide(head: ObjectHead(size: 6 << 20, contentType: "image/png"), purpose: avatar, declaredSize: 1000, declaredType: "image/png"),
                       .rejected(reason: "the uploaded object is 6291456 bytes; avatar files may be at most 5242880 bytes"))
        XCTAssertEqual(ConfirmDecision.decide(head: ObjectHead(size: 10, contentType: "text/html"), purpose: avatar, declaredSize: 1000, declaredType: "image/png"),
                       .rejected(reason: "the uploaded object's type is not allowed for avatar files (must start with image/)"))
        XCTAssertEqual(ConfirmDecision.decide(head: ObjectHead(size: 10, contentType: "image/svg+xml"), purpose: avatar, declaredSize: 1000, declaredType: "image/png"),
                       .rejected(reason: "the uploaded object's type differs from the declared image/png"))
        XCTAssertEqual(ConfirmDecision.decide(head: ObjectHead(size: 0, contentType: "image/png"), purpose: avatar, declaredSize: 1000, declaredType: "image/png"),
                       .rejected(reason: "the uploaded object is empty"))
    }

    func testTypeComparisonIgnoresCaseAndParameters() {
        XCTAssertEqual(ConfirmDecision.decide(head: ObjectHead(size: 5, contentType: "Image/PNG"), purpose: avatar, declaredSize: 5, declaredType: "image/png; x=y"),
                       .ready(size: 5, contentType: "Image/PNG"))
    }
}

final class CursorAndCookieWindowTests: XCTestCase {
    func testCursorRoundTripsAndRejectsTampering() {
        let cursor = DocumentCursor(createdAt: 1_700_000_000, id: "0b7e7a8e-3c1f-4a47-9b53-0e5f0c1f2a3b")
        XCTAssertEqual(DocumentCursor.decode(cursor.encoded), cursor)
        XCTAssertNil(DocumentCursor.decode(cursor.encoded + "A"))
        XCTAssertNil(DocumentCursor.decode(Base64.encodeURL(Array("1/x".utf8))))
        XCTAssertNil(DocumentCursor.decode(Base64.encodeURL(Array("-1/0b7e7a8e-3c1f-4a47-9b53-0e5f0c1f2a3b".utf8))))
        XCTAssertNil(DocumentCursor.decode("!!"))
    }

    /// Regression: a hand-made cursor with a huge time decoded fine and made PostgreSQL fail
    /// ("timestamp out of range"), a 500 for bad input.
    func testRegressionCursorTimeBeyondPostgreSQLRangeIsRefused() {
        let id = "0b7e7a8e-3c1f-4a47-9b53-0e5f0c1f2a3b"
        XCTAssertNil(DocumentCursor.decode(Base64.encodeURL(Array("9223372036854775807/\(id)".utf8))))
        XCTAssertNil(DocumentCursor.decode(Base64.encodeURL(Array("253402300800/\(id)".utf8))))
        let latest = DocumentCursor(createdAt: 253_402_300_799, id: id)
        XCTAssertEqual(DocumentCursor.decode(latest.encoded), latest)
    }

    /// Regression: FlowExpiries and CDNCookieWindow took any lifetime (a 30-day cookie, or a
    /// zero that trapped in a precondition); every flow expiry now stays within 1 s…7 days.
    func testRegressionFlowExpiriesNeverExceedSevenDays() {
        let week: Int64 = 604_800
        let expiries = FlowExpiries(upload: 0, download: week + 1, cdnCookies: 30 * 86_400)
        XCTAssertEqual([expiries.upload, expiries.download, expiries.cdnCookies], [1, week, week])
        let window = CDNCookieWindow(lifetime: 30 * 86_400)
        XCTAssertLessThanOrEqual(window.expiry(at: 1_700_000_123) - 1_700_000_123, week)
        XCTAssertEqual(CDNCookieWindow(lifetime: 0).lifetime, 1)
    }

    func testCookieExpiryIsSharedWithinAWindow() {
        let window = CDNCookieWindow(lifetime: 3600)
        XCTAssertEqual(window.window, 300)
        XCTAssertEqual(window.expiry(at: 1_700_000_100), 1_700_000_100 - 1_700_000_100 % 300 + 3600)
        XCTAssertEqual(window.expiry(at: 1_699_999_800), window.expiry(at: 1_700_000_099))
        XCTAssertNotEqual(window.expiry(at: 1_700_000_099), window.expiry(at: 1_700_000_100))
        XCTAssertEqual(CDNCookieWindow(lifetime: 60).window, 6)
    }

    func testSetCookieAttributes() {
        let attributes = CookieAttributes(domain: ".app.test")
        XCTAssertEqual(attributes.setCookie(name: "CloudFront-Policy", value: "abc", expiresAt: 3600, now: 0),
                       "CloudFront-Policy=abc; Domain=.app.test; Path=/; Expires=Thu, 01 Jan 1970 01:00:00 GMT; Max-Age=3600; HttpOnly; Secure; SameSite=Lax")
        XCTAssertEqual(attributes.clearCookie(name: "CloudFront-Policy"),
                       "CloudFront-Policy=; Domain=.app.test; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Secure; SameSite=Lax")
    }
}
