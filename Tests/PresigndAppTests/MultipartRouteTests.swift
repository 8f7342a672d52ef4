import XCTest
@testable import PresigndApp
import PresigndSupport
import PresigndUploads

/// Multipart uploads and Uppy's protocol through the router, with the in-memory stores.
extension FlowRouteTests {
    func createMultipart(size: Int64 = 12 << 20, type: String = "application/pdf", as user: String = "alice") -> (status: Int, body: JSONValue) {
        let r = send("POST", "/api/uploads/multipart", as: user,
                     json: #"{"purpose":"document","fileName":"big.pdf","contentType":"\#(type)","fileSize":\#(size)}"#)
        return (r.status, r.body)
    }

    func testMultipartCreateSignListCompleteAndAudit() throws {
        let created = createMultipart()
        XCTAssertEqual(created.status, 200)
        let id = try XCTUnwrap(created.body["fileId"]?.stringValue)
        let uploadID = try XCTUnwrap(created.body["uploadId"]?.stringValue)
        XCTAssertEqual(created.body["partSize"], .int(8 << 20))
        XCTAssertEqual(created.body["partCount"], 2)
        XCTAssertEqual(store.state.withLock { $0.documents[id]?.status }, .uploading)

        let signed = send("POST", "/api/uploads/\(id)/parts", json: #"{"partNumbers":[1,2]}"#)
        XCTAssertEqual(signed.status, 200)
        XCTAssertEqual(signed.body["parts"]?.arrayValue?.map { $0["size"] }, [.int(8 << 20), .int(4 << 20)])
        XCTAssertEqual(signed.body["parts"]?.arrayValue?.first?["url"]?.stringValue?.hasSuffix("partNumber=1&uploadId=\(uploadID)&length=8388608"), true,
                       "each part URL signs the part's exact length")
        XCTAssertEqual(send("POST", "/api/uploads/\(id)/parts", json: #"{"partNumbers":[3]}"#).body["error"]?["code"], "invalid_part_number")

        objects.putPart(uploadID: uploadID, number: 1, size: 8 << 20)
        let early = send("POST", "/api/uploads/\(id)/complete", json: #"{"parts":[{"partNumber":1,"etag":"\"etag-1\""},{"partNumber":2,"etag":"\"etag-2\""}]}"#)
        XCTAssertEqual(early.status, 400)
        XCTAssertEqual(early.body["error"]?["code"], "missing_part")
        XCTAssertEqual(store.state.withLock { $0.documents[id]?.status }, .uploading, "a refused completion leaves the upload open")

        objects.putPart(uploadID: uploadID, number: 2, size: 4 << 20)
        let listed = send("GET", "/api/uploads/\(id)/parts")
        XCTAssertEqual(listed.body["parts"]?.arrayValue?.count, 2)
        let done = send("POST", "/api/uploads/\(id)/complete", json: #"{"parts":[{"partNumber":1,"etag":"\"etag-1\""},{"partNumber":2,"etag":"\"etag-2\""}]}"#)
        XCTAssertEqual(done.status, 200)
        XCTAssertEqual(done.body, ["fileId": .string(id), "status": "ready", "size": .int(12 << 20), "contentType": "application/pdf"])
        XCTAssertEqual(send("POST", "/api/uploads/\(id)/complete", json: #"{"parts":[{"partNumber":1,"etag":"x"}]}"#).body, done.body,
                       "completing again answers the same, without touching the store")
        XCTAssertEqual(send("DELETE", "/api/uploads/\(id)").body["error"]?["code"], "upload_completed")
        XCTAssertEqual(store.state.withLock { $0.audit.map(\.action) }, ["upload.create", "upload.complete"])
    }

    func testAnotherUsersUploadNeverReachesTheStore() throws {
        let created = createMultipart()
        let id = try XCTUnwrap(created.body["fileId"]?.stringValue)
        let uploadID = try XCTUnwrap(created.body["uploadId"]?.stringValue)
        let key = try XCTUnwrap(created.body["key"]?.stringValue)
        objects.state.withLock { $0.calls = [] }
        XCTAssertEqual(send("POST", "/api/uploads/\(id)/parts", as: "mallory", json: #"{"partNumbers":[1]}"#).status, 404)
        XCTAssertEqual(send("GET", "/api/uploads/\(id)/parts", as: "mallory").status, 404)
        XCTAssertEqual(send("POST", "/api/uploads/\(id)/complete", as: "mallory", json: #"{"parts":[{"partNumber":1,"etag":"x"}]}"#).status, 404)
        XCTAssertEqual(send("DELETE", "/api/uploads/\(id)", as: "mallory").status, 404)
        let encodedKey = PercentEncoding.encode(key)
        XCTAssertEqual(send("GET", "/api/uppy/s3/multipart/\(uploadID)", query: "key=\(encodedKey)", as: "mallory").status, 404)
        XCTAssertEqual(send("GET", "/api/uppy/s3/multipart/\(uploadID)", query: "key=documents%2Falice%2Fother.pdf").status, 404,
                       "a key that is not its uploadId's")
        XCTAssertEqual(send("DELETE", "/api/uppy/s3/multipart/\(uploadID)", query: "key=\(encodedKey)", as: "mallory").status, 404)
        XCTAssertEqual(objects.state.withLock { $0.calls }, [], "nothing reached the store")
        XCTAssertEqual(store.state.withLock { $0.documents[id]?.status }, .uploading)
    }

    func testAbortAndLimits() throws {
        let created = createMultipart()
        let id = try XCTUnwrap(created.body["fileId"]?.stringValue)
        let uploadID = try XCTUnwrap(created.body["uploadId"]?.stringValue)
        let aborted = send("DELETE", "/api/uploads/\(id)")
        XCTAssertEqual(aborted.status, 200)
        XCTAssertEqual(aborted.body, ["fileId": .string(id), "status": "aborted"])
        XCTAssertEqual(objects.state.withLock { $0.aborted }, [uploadID])
        XCTAssertEqual(send("DELETE", "/api/uploads/\(id)").status, 200, "aborting again succeeds")
        XCTAssertEqual(send("POST", "/api/uploads/\(id)/parts", json: #"{"partNumbers":[1]}"#).body["error"]?["code"], "upload_aborted")
        XCTAssertEqual(store.state.withLock { $0.audit.map(\.action) }, ["upload.create", "upload.abort"])

        XCTAssertEqual(createMultipart(size: 21 << 20).body["error"]?["code"], "file_too_large", "the purpose's limit holds")
        let pending = presign(size: 100)
        let pendingID = try XCTUnwrap(pending.body["fileId"]?.stringValue)
        XCTAssertEqual(send("DELETE", "/api/uploads/\(pendingID)").status, 200, "a single upload not yet confirmed can be cancelled")
        XCTAssertEqual(store.state.withLock { $0.documents[pendingID]?.status }, .aborted)
    }

    func testUppyProtocolShapes() throws {
        let params = send("GET", "/api/uppy/s3/params", query: "filename=cat.png&type=image%2Fpng&metadata%5Bpurpose%5D=avatar")
        XCTAssertEqual(params.status, 200)
        XCTAssertEqual(params.body["method"], "POST")
        XCTAssertEqual(params.body["expires"], 300)
        XCTAssertEqual(params.body["fields"]?["x-test-rule"], "max=5242880 prefix=image/ exp=300")
        let key = try XCTUnwrap(params.body["key"]?.stringValue)
        objects.state.withLock { $0.objects[key] = ObjectHead(size: 10, contentType: "image/png") }
        let confirmed = send("POST", "/api/uploads/confirm", json: #"{"key":"\#(key)"}"#)
        XCTAssertEqual(confirmed.status, 200, "Uppy's success reports the key; confirm takes it")

        let refused = send("GET", "/api/uppy/s3/params", query: "filename=x.html&type=text%2Fhtml&metadata%5Bpurpose%5D=avatar")
        XCTAssertEqual(refused.status, 400)
        XCTAssertEqual(refused.body["message"], refused.body["error"]?["message"], "Uppy shows the top-level message")
        XCTAssertEqual(send("GET", "/api/uppy/s3/params", query: "filename=a.pdf", as: nil).body["message"]?.stringValue?.isEmpty, false)

        let created = send("POST", "/api/uppy/s3/multipart", json: #"{"filename":"film.pdf","type":"application/pdf","metadata":{"purpose":"document"}}"#)
        XCTAssertEqual(created.status, 200)
        let uploadID = try XCTUnwrap(created.body["uploadId"]?.stringValue)
        let multipartKey = try XCTUnwrap(created.body["key"]?.stringValue)
        XCTAssertEqual(created.body["bucket"], "bucket")
        let q = "key=\(PercentEncoding.encode(multipartKey))"
        let batch = send("GET", "/api/uppy/s3/multipart/\(uploadID)/batch", query: q + "&partNumbers=1,2")
        XCTAssertEqual(batch.body["presignedUrls"]?["2"]?.stringValue?.hasSuffix("length=any"), true, "Uppy chooses its part sizes")
        let one = send("GET", "/api/uppy/s3/multipart/\(uploadID)/1", query: q)
        XCTAssertEqual(one.body["expires"], 300)
        XCTAssertNotNil(one.body["url"]?.stringValue)
        objects.putPart(uploadID: uploadID, number: 1, size: 5 << 20)
        objects.putPart(uploadID: uploadID, number: 2, size: 100)
        XCTAssertEqual(send("GET", "/api/uppy/s3/multipart/\(uploadID)", query: q).body,
                       [["PartNumber": 1, "ETag": "\"etag-1\"", "Size": .int(5 << 20)], ["PartNumber": 2, "ETag": "\"etag-2\"", "Size": 100]])
        let done = send("POST", "/api/uppy/s3/multipart/\(uploadID)/complete", query: q,
                        json: #"{"parts":[{"PartNumber":1,"ETag":"\"etag-1\""},{"PartNumber":2,"ETag":"\"etag-2\""}]}"#)
        XCTAssertEqual(done.status, 200)
        XCTAssertEqual(done.body["key"]?.stringValue, multipartKey)
        XCTAssertEqual(done.body["location"]?.stringValue, "https://s3.test/bucket/" + multipartKey, "the object's URL, as S3 and Companion answer")

        let second = send("POST", "/api/uppy/s3/multipart", json: #"{"filename":"b.bin","type":"","metadata":{}}"#)
        XCTAssertEqual(second.status, 200, "\(second.body)")
        let secondKey = PercentEncoding.encode(try XCTUnwrap(second.body["key"]?.stringValue))
        let abort = send("DELETE", "/api/uppy/s3/multipart/\(try XCTUnwrap(second.body["uploadId"]?.stringValue))", query: "key=\(secondKey)")
        XCTAssertEqual(abort.status, 200)
        XCTAssertEqual(abort.body, .object([:]), "a JSON {} body: an empty 204 breaks Uppy")
    }

    func testDeleteTwiceIsOneDeleteAndUnshareOfNothingIs404() {
        let id = readyDocument()
        XCTAssertEqual(send("DELETE", "/api/documents/\(id)/shares/bob").status, 404)
        let yourself = send("POST", "/api/documents/\(id)/shares", json: #"{"userId":"alice"}"#)
        XCTAssertEqual(yourself.status, 400)
        XCTAssertEqual(yourself.body["error"]?["message"], "the field \"userId\" names you; share with another user")
        XCTAssertEqual(send("DELETE", "/api/documents/\(id)").status, 204)
        XCTAssertEqual(send("DELETE", "/api/documents/\(id)").status, 404)
        XCTAssertEqual(send("POST", "/api/documents/\(id)/shares", json: #"{"userId":"bob"}"#).status, 404)
        XCTAssertEqual(store.state.withLock { $0.audit.map(\.action) }, ["upload.presign", "upload.confirm", "document.delete"])
    }
}
