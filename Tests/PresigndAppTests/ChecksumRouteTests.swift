import XCTest
@testable import PresigndApp
import PresigndSupport
import PresigndHTTP
import PresigndSigning
import PresigndUploads

/// Checksums declared at presign: bound into a PUT as a signed header the store checks, kept on
/// the row, compared with the store's own at confirm.
final class ChecksumRouteTests: XCTestCase {
    // SHA-256 and MD5 of "hello world".
    let sha256 = "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="
    let md5 = "XrY7u+Ae7tCTyyK7j1rNww=="

    func app(_ store: StoreProfile) -> (Application, MemoryDocumentStore, MemoryObjectStore) {
        let documents = MemoryDocumentStore(), objects = MemoryObjectStore()
        let flow = UploadFlow(config: FlowsConfig(store: store), store: documents, objects: objects, signer: FakeURLSigner(),
                              newID: { "00000000-0000-7000-8000-000000000001" })
        return (Application(routes: flow.routes, authenticator: HeaderAuthenticator(), clock: FixedClock(1_700_000_000), logger: .discarding),
                documents, objects)
    }

    func presign(_ app: Application, _ extra: String) -> (status: Int, body: JSONValue) {
        let response = app.handle(HTTPRequest(method: "POST", path: "/api/uploads/presign", query: "",
                                              headers: ["Authorization": "Test alice", "Content-Type": "application/json"],
                                              body: Array(#"{"purpose":"document","fileName":"a.txt","contentType":"text/plain","fileSize":11\#(extra)}"#.utf8),
                                              remoteAddress: "192.0.2.7"))
        return (response.status, (try? JSONParser().parse(response.body)) ?? .null)
    }

    func testADeclaredSHA256IsASignedHeaderOfAPutAndKeptOnTheRow() throws {
        let (app, documents, _) = app(.aws)
        let r = presign(app, #","checksumSHA256":"\#(sha256)""#)
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.body["method"], "PUT", "a checksum is bound into a PUT, never a POST form")
        XCTAssertEqual(r.body["headers"], ["Content-Type": "text/plain", "Content-Length": "11", "x-amz-checksum-sha256": .string(sha256)])
        XCTAssertFalse(r.body["url"]?.stringValue?.lowercased().contains("checksum") ?? true, "never in the URL's query")
        XCTAssertEqual(try documents.document(id: "00000000-0000-7000-8000-000000000001")?.checksum, "SHA256:\(sha256)")
    }

    func testTheStoreProfileChoosesWhatIsBound() throws {
        // RGW checks Content-MD5 only: of both declared, the MD5 is bound; the SHA-256 alone is refused.
        let (ceph, documents, _) = app(.ceph)
        let both = presign(ceph, #","checksumSHA256":"\#(sha256)","contentMD5":"\#(md5)""#)
        XCTAssertEqual(both.status, 200)
        XCTAssertEqual(both.body["headers"]?["Content-MD5"], .string(md5))
        XCTAssertNil(both.body["headers"]?["x-amz-checksum-sha256"])
        XCTAssertEqual(try documents.document(id: "00000000-0000-7000-8000-000000000001")?.checksum, "MD5:\(md5)")
        let (ceph2, _, _) = app(.ceph)
        let shaOnly = presign(ceph2, #","checksumSHA256":"\#(sha256)""#)
        XCTAssertEqual(shaOnly.status, 400)
        XCTAssertEqual(shaOnly.body["error"]?["message"], #"the ceph store does not check "checksumSHA256"; send "contentMD5" instead"#)
    }

    func testBadChecksumsAreRefusedNamingTheField() {
        let (app, _, _) = app(.aws)
        let short = presign(app, #","checksumSHA256":"\#(md5)""#)
        XCTAssertEqual(short.status, 400)
        XCTAssertEqual(short.body["error"]?["message"], #"the field "checksumSHA256" must be the base64 of the file's 32-byte SHA-256 digest"#)
        XCTAssertEqual(presign(app, #","contentMD5":"not base64!""#).status, 400)
        let post = presign(app, #","checksumSHA256":"\#(sha256)","method":"POST""#)
        XCTAssertEqual(post.status, 400)
        XCTAssertTrue(post.body["error"]?["message"]?.stringValue?.hasPrefix("a checksum is bound into a PUT") ?? false)
    }

    func testConfirmComparesTheStoresSHA256() {
        let purpose = UploadPurposes.defaults["document"]!
        let declared = (try? DeclaredChecksum(.sha256, base64: sha256)).map(BoundChecksum.whole)
        let honest = ObjectHead(size: 11, contentType: "text/plain", checksumSHA256: sha256)
        XCTAssertEqual(ConfirmDecision.decide(head: honest, purpose: purpose, declaredSize: 11, declaredType: "text/plain", checksum: declared),
                       .ready(size: 11, contentType: "text/plain"))
        let other = ObjectHead(size: 11, contentType: "text/plain", checksumSHA256: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
        XCTAssertEqual(ConfirmDecision.decide(head: other, purpose: purpose, declaredSize: 11, declaredType: "text/plain", checksum: declared),
                       .rejected(reason: "the uploaded object's SHA-256 differs from the declared checksumSHA256"))
        let none = ObjectHead(size: 11, contentType: "text/plain")
        guard case .rejected(let reason) = ConfirmDecision.decide(head: none, purpose: purpose, declaredSize: 11, declaredType: "text/plain",
                                                                  checksum: declared) else { return XCTFail("a store that kept no SHA-256 proves nothing") }
        XCTAssertTrue(reason.hasPrefix("the store kept no SHA-256 of the object"))
    }

    func call(_ app: Application, _ method: String, _ path: String, _ json: String) -> (status: Int, body: JSONValue) {
        let response = app.handle(HTTPRequest(method: method, path: path, query: "",
                                              headers: ["Authorization": "Test alice", "Content-Type": "application/json"],
                                              body: Array(json.utf8), remoteAddress: "192.0.2.7"))
        return (response.status, (try? JSONParser().parse(response.body)) ?? .null)
    }

    func testMultipartPartsEachSignTheirDigest() throws {
        let (aws, documents, _) = app(.aws)
        let created = call(aws, "POST", "/api/uploads/multipart",
                           #"{"purpose":"document","fileName":"a.bin","contentType":"application/octet-stream","fileSize":12000000,"checksumAlgorithm":"SHA256"}"#)
        XCTAssertEqual(created.status, 200)
        XCTAssertEqual(created.body["checksumAlgorithm"], "SHA256")
        let id = "00000000-0000-7000-8000-000000000001"
        XCTAssertEqual(try documents.document(id: id)?.checksum, "SHA256")
        let missing = call(aws, "POST", "/api/uploads/\(id)/parts", #"{"partNumbers":[1,2],"checksums":{"1":"\#(sha256)"}}"#)
        XCTAssertEqual(missing.status, 400)
        XCTAssertEqual(missing.body["error"]?["message"],
                       #"part 2 needs its SHA256 digest in "checksums" (the upload was created with "checksumAlgorithm")"#)
        let signed = call(aws, "POST", "/api/uploads/\(id)/parts", #"{"partNumbers":[1],"checksums":{"1":"\#(sha256)"}}"#)
        XCTAssertEqual(signed.status, 200)
        XCTAssertEqual(signed.body["parts"]?.arrayValue?.first?["headers"], ["x-amz-checksum-sha256": .string(sha256)])

        let (ceph, _, _) = app(.ceph)
        let refused = call(ceph, "POST", "/api/uploads/multipart",
                           #"{"purpose":"document","fileName":"a.bin","contentType":"application/octet-stream","fileSize":12000000,"checksumAlgorithm":"SHA256"}"#)
        XCTAssertEqual(refused.status, 400)
        XCTAssertEqual(refused.body["error"]?["code"], "checksum_not_checked")
    }

    func testConfirmOfAMultipartUploadNeedsTheStoresCompositeSHA256() {
        let purpose = UploadPurposes.defaults["document"]!
        let composite = ObjectHead(size: 11, contentType: "text/plain", checksumSHA256: "\(sha256)-3")
        XCTAssertEqual(ConfirmDecision.decide(head: composite, purpose: purpose, declaredSize: 11, declaredType: "text/plain",
                                              checksum: .parts(.sha256)), .ready(size: 11, contentType: "text/plain"))
        guard case .rejected = ConfirmDecision.decide(head: ObjectHead(size: 11, contentType: "text/plain"), purpose: purpose, declaredSize: 11,
                                                      declaredType: "text/plain", checksum: .parts(.sha256)) else {
            return XCTFail("parts the store kept no digest of prove nothing")
        }
        // The composite of the parts' digests (S3's own rule): it must be what the store kept.
        let parts = [1: sha256, 2: "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="]
        let expected = BoundChecksum.composite(of: parts)
        XCTAssertEqual(expected?.hasSuffix("-2"), true)
        XCTAssertEqual(ConfirmDecision.decide(head: ObjectHead(size: 11, contentType: "text/plain", checksumSHA256: expected), purpose: purpose,
                                              declaredSize: 11, declaredType: "text/plain", checksum: .parts(.sha256), compositeSHA256: expected),
                       .ready(size: 11, contentType: "text/plain"))
        XCTAssertEqual(ConfirmDecision.decide(head: composite, purpose: purpose, declaredSize: 11, declaredType: "text/plain",
                                              checksum: .parts(.sha256), compositeSHA256: expected),
                       .rejected(reason: "the uploaded object's composite SHA-256 differs from its parts' declared digests"))
        XCTAssertNil(BoundChecksum.composite(of: [1: "short"]))
        XCTAssertEqual(BoundChecksum(stored: "SHA256"), .parts(.sha256))
        XCTAssertEqual(BoundChecksum(stored: "MD5:\(md5)"), .whole(try! DeclaredChecksum(.md5, base64: md5)))
    }

    func testStoredFormRoundTrips() throws {
        let checksum = try DeclaredChecksum(.md5, base64: md5)
        XCTAssertEqual(DeclaredChecksum(stored: checksum.stored), checksum)
        XCTAssertNil(DeclaredChecksum(stored: "CRC32:AAAA"))
    }
}
