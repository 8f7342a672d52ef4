import XCTest
import Foundation
import PresigndApp
import PresigndSupport
import PresigndHTTP
import PresigndSigning
import PresigndUploads
import PresigndHTTPClient
import PresigndStorage

/// The S3 adapters against a strict S3 server named by `PRESIGND_TEST_S3_ENDPOINT`,
/// `PRESIGND_TEST_S3_BUCKET`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (the integration
/// harness's ministack provides them); skipped without them.
final class S3ObjectStoreTests: XCTestCase {
    struct Now: Clock { func now() -> UnixSeconds { UnixSeconds(Date().timeIntervalSince1970) } }

    var signer: S3URLSigner!
    var store: S3ObjectStore!
    let client = HTTPClient()

    override func setUpWithError() throws {
        let env = ProcessInfo.processInfo.environment
        guard let endpoint = env["PRESIGND_TEST_S3_ENDPOINT"], let bucket = env["PRESIGND_TEST_S3_BUCKET"] else {
            throw XCTSkip("set PRESIGND_TEST_S3_ENDPOINT and PRESIGND_TEST_S3_BUCKET to run against an S3 server")
        }
        let credentials = try CredentialsLoader.load(from: Environment(env))
        signer = S3URLSigner(bucket: bucket, endpoint: try S3Endpoint(region: env["AWS_REGION"] ?? "us-east-1", endpoint: endpoint, addressing: .path),
                              credentials: credentials)
        store = S3ObjectStore(bucket: bucket, signer: signer.requestSigner, client: client, clock: Now(), logger: .discarding)
    }

    func testPutHeadGetDelete() throws {
        let key = "documents/t~7C1/\(UUID().uuidString.lowercased()).pdf"
        let now = Now().now()
        XCTAssertNil(try store.head(key: key))

        let put = try signer.presignPut(key: key, contentType: "application/pdf", contentLength: nil, checksum: nil, expiresIn: 300, now: now)
        XCTAssertEqual(put.headers.map { $0.name }, ["Content-Type"])
        let body = Array("%PDF-1.4 hello".utf8)
        let refused = try client.send(OutboundRequest(method: "PUT", url: put.url, headers: [("Content-Type", "text/html")], body: body))
        XCTAssertEqual(refused.status, 403)
        let stored = try client.send(OutboundRequest(method: "PUT", url: put.url, headers: put.headers, body: body))
        XCTAssertEqual(stored.status, 200)

        XCTAssertEqual(try store.head(key: key), ObjectHead(size: Int64(body.count), contentType: "application/pdf"))

        let disposition = ContentDisposition.header(.attachment, fileName: "résumé \"1\".pdf")
        let get = try signer.presignGet(key: key, responseContentDisposition: disposition, responseContentType: "application/pdf",
                                        expiresIn: 300, now: now)
        let fetched = try client.send(OutboundRequest(method: "GET", url: get.url))
        XCTAssertEqual(fetched.status, 200)
        XCTAssertEqual(fetched.body, body)
        XCTAssertEqual(fetched.header("Content-Disposition"), disposition)

        try store.delete(key: key)
        XCTAssertNil(try store.head(key: key))
        try store.delete(key: key)  // deleting a missing object succeeds
    }

    func testUnreachableStoreIs503() throws {
        let nowhere = S3URLSigner(bucket: "unreachable-bucket", endpoint: try S3Endpoint(region: "us-east-1", endpoint: "http://127.0.0.1:1", addressing: .path),
                                   credentials: AWSCredentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "x"))
        let store = S3ObjectStore(bucket: nowhere.bucket, signer: nowhere.requestSigner, client: client, clock: Now(), logger: .discarding, timeoutMilliseconds: 1000)
        XCTAssertThrowsError(try store.head(key: "k")) { error in
            XCTAssertEqual((error as? APIErrorConvertible)?.apiError.code, "storage_unavailable")
        }
    }

    /// The five multipart calls against the strict store, with presigned part URLs that sign
    /// each part's exact length: a part of another size is refused by the store itself.
    func testMultipartUploadEndToEnd() throws {
        let key = "documents/t~7C1/\(UUID().uuidString.lowercased()).bin"
        let now = Now().now()
        let uploadID = try store.createMultipartUpload(key: key, contentType: "application/octet-stream",
                                                       contentDisposition: "attachment; filename=\"big.bin\"", checksumAlgorithm: nil)
        let partSize = Int(MultipartPlan.minimumPartSize)
        let first = [UInt8](repeating: 0x61, count: partSize), second = Array("the tail".utf8)
        var etags: [String] = []
        for (number, bytes) in [(1, first), (2, second)] {
            let url = try signer.presignUploadPart(key: key, uploadID: uploadID, partNumber: number, contentLength: Int64(bytes.count), checksum: nil,
                                                   expiresIn: 300, now: now)
            if number == 2 {
                let wrong = try client.send(OutboundRequest(method: "PUT", url: url.url, body: bytes + [0x21]))
                XCTAssertEqual(wrong.status, 403, "a part longer than its signed Content-Length is refused by the store")
            }
            let put = try client.send(OutboundRequest(method: "PUT", url: url.url, body: bytes))
            XCTAssertEqual(put.status, 200)
            etags.append(try XCTUnwrap(put.header("ETag")))
        }
        let listed = try store.listParts(key: key, uploadID: uploadID)
        XCTAssertEqual(listed.map(\.number), [1, 2])
        XCTAssertEqual(listed.map(\.size), [Int64(partSize), Int64(second.count)])
        try store.completeMultipartUpload(key: key, uploadID: uploadID, parts: [(1, etags[0]), (2, etags[1])], checksums: [:])
        XCTAssertEqual(try store.head(key: key)?.size, Int64(partSize + second.count))
        XCTAssertThrowsError(try store.listParts(key: key, uploadID: uploadID)) { error in
            XCTAssertEqual(error as? StoreRefusal, StoreRefusal(code: "NoSuchUpload"))
        }
        try store.delete(key: key)

        let abandoned = try store.createMultipartUpload(key: key, contentType: "text/plain", contentDisposition: "attachment", checksumAlgorithm: nil)
        try store.abortMultipartUpload(key: key, uploadID: abandoned)
        try store.abortMultipartUpload(key: key, uploadID: abandoned)  // an upload that is gone counts as aborted
        XCTAssertThrowsError(try store.listParts(key: key, uploadID: abandoned))
    }
}
