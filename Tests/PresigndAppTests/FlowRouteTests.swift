import XCTest
import Synchronization
@testable import PresigndApp
import PresigndSupport
import PresigndHTTP
import PresigndSigning
import PresigndUploads

final class SettableClock: Clock {
    let time = Mutex<UnixSeconds>(1_700_000_000)
    func now() -> UnixSeconds { time.withLock { $0 } }
    func advance(_ seconds: Int64) { time.withLock { $0 += seconds } }
}

final class FlowRouteTests: XCTestCase {
    var store: MemoryDocumentStore!
    var objects: MemoryObjectStore!
    var cookieSigner: CountingCookieSigner!
    var clock: SettableClock!
    var app: Application!
    let session = MediaSessionCookie(keys: [Array("test media session key".utf8)])
    let revocations = MemoryRevocations()
    final class Counter: Sendable { let value = Mutex(0) }
    let ids = Counter()

    override func setUp() {
        store = MemoryDocumentStore()
        objects = MemoryObjectStore()
        cookieSigner = CountingCookieSigner()
        clock = SettableClock()
        let config = FlowsConfig(cdn: CDNConfig(domain: "cdn.app.test", pathPattern: "/avatars/*", cookieDomain: ".app.test"))
        let counter = ids
        let upload = UploadFlow(config: config, store: store, objects: objects, signer: FakeURLSigner(), newID: {
            let n = counter.value.withLock { $0 += 1; return $0 }
            return "00000000-0000-4000-8000-\(String(repeating: "0", count: 12 - String(n).count))\(n)"
        })
        let documents = DocumentFlow(config: config, store: store, objects: objects, signer: FakeURLSigner())
        let cookies = CDNCookieFlow(cdn: config.cdn!, lifetime: 3600, signer: cookieSigner, store: store,
                                    session: session, revocations: revocations, keyPairID: "K1")
        let uppy = UppyFlow(uploads: upload, bucket: "bucket", objectURL: { "https://s3.test/bucket/\($0)" })
        let routes: [Route<Endpoint>] = upload.routes + uppy.routes + documents.routes + cookies.routes + ReadinessRoutes.routes(store: store)
        app = Application(routes: routes,
                          authenticator: HeaderAuthenticator(), clock: clock, logger: .discarding)
    }

    func send(_ method: String, _ path: String, query: String = "", as user: String? = "alice", json: String? = nil) -> (status: Int, body: JSONValue, headers: HTTPHeaders) {
        var headers: HTTPHeaders = [:]
        if let user { headers.add("Authorization", "Test \(user)") }
        if json != nil { headers.add("Content-Type", "application/json") }
        let response = app.handle(HTTPRequest(method: method, path: path, query: query, headers: headers,
                                              body: Array((json ?? "").utf8), remoteAddress: "192.0.2.7"))
        let body = response.body.isEmpty ? JSONValue.null : ((try? JSONParser().parse(response.body)) ?? .null)
        return (response.status, body, response.headers)
    }

    func presign(_ purpose: String = "document", name: String = "Contract.pdf", type: String = "application/pdf", size: Int = 1000,
                 method: String? = nil, as user: String = "alice") -> (status: Int, body: JSONValue) {
        let methodField = method.map { #","method":"\#($0)""# } ?? ""
        let r = send("POST", "/api/uploads/presign", as: user,
                     json: #"{"purpose":"\#(purpose)","fileName":"\#(name)","contentType":"\#(type)","fileSize":\#(size)\#(methodField)}"#)
        return (r.status, r.body)
    }

    /// Presigns, "uploads" an object as given, confirms; returns the document id.
    func readyDocument(as user: String = "alice", name: String = "Contract.pdf") -> String {
        let p = presign(name: name, as: user)
        let id = p.body["fileId"]!.stringValue!
        objects.state.withLock { $0.objects[p.body["key"]!.stringValue!] = ObjectHead(size: 1000, contentType: "application/pdf") }
        XCTAssertEqual(send("POST", "/api/uploads/confirm", as: user, json: #"{"fileId":"\#(id)"}"#).status, 200)
        return id
    }

    func testPresignPostReturnsFormAndInsertsPendingRowWithAudit() {
        let r = presign("avatar", name: "../../Me.PNG", type: "image/png", size: 1234, as: "auth0|42")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.body["fileId"], "00000000-0000-4000-8000-000000000001")
        XCTAssertEqual(r.body["key"], "avatars/auth0~7C42/00000000-0000-4000-8000-000000000001.png")
        XCTAssertEqual(r.body["method"], "POST")
        XCTAssertEqual(r.body["url"], "https://s3.test/bucket")
        XCTAssertEqual(r.body["fields"]?["Content-Disposition"], "attachment; filename=\"Me.PNG\"; filename*=UTF-8''Me.PNG")
        XCTAssertEqual(r.body["fields"]?["x-test-rule"], "max=5242880 prefix=image/ exp=300")
        XCTAssertEqual(r.body["headers"], .object([:]))
        XCTAssertEqual(r.body["expiresAt"], "2023-11-14T22:18:20Z")
        let row = store.state.withLock { $0.documents["00000000-0000-4000-8000-000000000001"] }
        XCTAssertEqual(row?.status, .pending)
        XCTAssertEqual(row?.ownerID, "auth0|42")
        XCTAssertEqual(row?.fileName, "Me.PNG")
        XCTAssertEqual(row?.declaredSize, 1234)
        XCTAssertEqual(store.state.withLock { $0.audit }, [AuditEntry(actor: "auth0|42", action: "upload.presign",
            resource: "document:00000000-0000-4000-8000-000000000001", clientAddress: "192.0.2.7", at: 1_700_000_000)])
    }

    func testPresignPutListsHeaders() {
        let r = presign(method: "PUT")
        XCTAssertEqual(r.body["method"], "PUT")
        // The declared length is signed for every store: the store refuses a body of another size.
        XCTAssertEqual(r.body["headers"], ["Content-Type": "application/pdf", "Content-Length": "1000"])
        XCTAssertEqual(r.body["fields"], .object([:]))
    }

    func testValidationErrorsNameTheField() {
        XCTAssertEqual(presign("banner").body["error"]?["code"], "invalid_purpose")
        XCTAssertEqual(presign("avatar", type: "image/png", size: 6 << 20).body["error"]?["code"], "file_too_large")
        XCTAssertEqual(presign("avatar", type: "text/html").body["error"]?["code"], "content_type_not_allowed")
        let missing = send("POST", "/api/uploads/presign", json: #"{"purpose":"avatar","contentType":"image/png","fileSize":1}"#)
        XCTAssertEqual(missing.status, 400)
        XCTAssertEqual(missing.body["error"]?["message"], "the field \"fileName\" is required")
        XCTAssertEqual(store.state.withLock { $0.documents.count }, 0)
    }

    func testDatabaseDownGives503AndNoURL() {
        store.state.withLock { $0.down = true }
        let r = send("POST", "/api/uploads/presign", json: #"{"purpose":"document","fileName":"a.pdf","contentType":"application/pdf","fileSize":5}"#)
        XCTAssertEqual(r.status, 503)
        XCTAssertEqual(r.body["error"]?["code"], "database_unavailable")
        XCTAssertEqual(r.headers["Retry-After"], "5")
        XCTAssertNil(r.body["url"])
        XCTAssertEqual(send("GET", "/readyz", as: nil).status, 503)
        store.state.withLock { $0.down = false }
        XCTAssertEqual(send("GET", "/readyz", as: nil).status, 200)
    }

    /// Regression (attack campaign): confirm by key turned any database error into "not found",
    /// so Uppy's page, which treats 404 as final, abandoned a good upload during an outage.
    func testRegressionConfirmByKeyWhileTheDatabaseIsDownIs503NotA404() {
        let p = presign(size: 1000)
        let key = p.body["key"]!.stringValue!
        store.state.withLock { $0.down = true }
        let r = send("POST", "/api/uploads/confirm", json: #"{"key":"\#(key)"}"#)
        XCTAssertEqual(r.status, 503)
        XCTAssertEqual(r.body["error"]?["code"], "database_unavailable")
        XCTAssertEqual(r.headers["Retry-After"], "5")
        store.state.withLock { $0.down = false }
        XCTAssertEqual(send("POST", "/api/uploads/confirm", json: #"{"key":"\#(key)"}"#).body["error"]?["code"], "upload_incomplete")
        XCTAssertEqual(send("POST", "/api/uploads/confirm", as: "mallory", json: #"{"key":"\#(key)"}"#).status, 404)
    }

    func testConfirmLifecycle() {
        let p = presign(size: 1000)
        let id = p.body["fileId"]!.stringValue!
        let key = p.body["key"]!.stringValue!
        let confirm = #"{"fileId":"\#(id)"}"#
        XCTAssertEqual(send("POST", "/api/uploads/confirm", as: "mallory", json: confirm).status, 404)
        let early = send("POST", "/api/uploads/confirm", json: confirm)
        XCTAssertEqual(early.status, 409)
        XCTAssertEqual(early.body["error"]?["code"], "upload_incomplete")

        objects.state.withLock { $0.down = true; $0.objects[key] = ObjectHead(size: 900, contentType: "application/pdf") }
        XCTAssertEqual(send("POST", "/api/uploads/confirm", json: confirm).body["error"]?["code"], "storage_unavailable")
        XCTAssertEqual(store.state.withLock { $0.documents[id]?.status }, .pending)
        objects.state.withLock { $0.down = false }

        let ok = send("POST", "/api/uploads/confirm", json: confirm)
        XCTAssertEqual(ok.status, 200)
        XCTAssertEqual(ok.body, ["fileId": .string(id), "status": "ready", "size": 900, "contentType": "application/pdf"])
        XCTAssertEqual(send("POST", "/api/uploads/confirm", json: confirm).body, ok.body)
        XCTAssertEqual(store.state.withLock { $0.audit.map(\.action) }, ["upload.presign", "upload.confirm"])
    }

    func testSwappedObjectIsRejectedAndDeleted() {
        let p = presign(size: 1000)
        let id = p.body["fileId"]!.stringValue!
        let key = p.body["key"]!.stringValue!
        objects.state.withLock { $0.objects[key] = ObjectHead(size: 4000, contentType: "application/pdf") }
        let r = send("POST", "/api/uploads/confirm", json: #"{"fileId":"\#(id)"}"#)
        XCTAssertEqual(r.status, 422)
        XCTAssertEqual(r.body["error"]?["message"], "the uploaded object is 4000 bytes but 1000 bytes were declared; the object was deleted, upload again")
        XCTAssertEqual(objects.state.withLock { $0.deleted }, [key])
        XCTAssertEqual(store.state.withLock { $0.documents[id]?.status }, .rejected)
        XCTAssertEqual(send("POST", "/api/uploads/confirm", json: #"{"fileId":"\#(id)"}"#).status, 422)
    }

    func testDownloadSharingAndDeletion() {
        let id = readyDocument(name: "résumé \\\"x\\\".pdf")
        let path = "/api/documents/\(id)/download"
        let mine = send("GET", path, query: "disposition=inline")
        XCTAssertEqual(mine.status, 200)
        XCTAssertEqual(mine.body["fileName"], "résumé \"x\".pdf")
        XCTAssertEqual(mine.body["url"]?.stringValue?.contains("cd=inline%3B%20filename%3D%22r_sum_%20_x_.pdf%22%3B%20filename%2A%3DUTF-8%27%27r%25C3%25A9sum%25C3%25A9%2520%2522x%2522.pdf"), true)
        XCTAssertEqual(mine.body["url"]?.stringValue?.contains("&ct=application/pdf&exp=300"), true)

        XCTAssertEqual(send("GET", path, as: "bob").status, 404)
        XCTAssertEqual(send("GET", "/api/documents/not-a-uuid/download").status, 404)
        XCTAssertEqual(send("GET", "/api/documents/00000000-0000-4000-8000-999999999999/download").body["error"]?["code"], "not_found")
        XCTAssertEqual(send("POST", "/api/documents/\(id)/shares", as: "bob", json: #"{"userId":"bob"}"#).status, 404)
        XCTAssertEqual(send("GET", path, query: "disposition=evil").status, 400)

        XCTAssertEqual(send("POST", "/api/documents/\(id)/shares", json: #"{"userId":"bob"}"#).status, 201)
        XCTAssertEqual(send("GET", path, as: "bob").status, 200)
        XCTAssertEqual(send("GET", "/api/documents", as: "bob").body["documents"]?.arrayValue?.first?["owned"], false)
        XCTAssertEqual(send("DELETE", "/api/documents/\(id)", as: "bob").status, 404)
        XCTAssertEqual(send("DELETE", "/api/documents/\(id)/shares/bob").status, 204)
        XCTAssertEqual(send("GET", path, as: "bob").status, 404)

        XCTAssertEqual(send("DELETE", "/api/documents/\(id)").status, 204)
        XCTAssertEqual(send("GET", path).status, 404)
        XCTAssertEqual(objects.state.withLock { $0.deleted.count }, 1)
        XCTAssertEqual(store.state.withLock { $0.audit.map(\.action) }, [
            "upload.presign", "upload.confirm", "document.download", "document.share", "document.download",
            "document.unshare", "document.delete",
        ])
    }

    /// Regression: the share target was any string, and PostgreSQL parameters end at a NUL, so
    /// sharing with "bob\u0000x" shared with bob. Control characters are refused, naming the field,
    /// before the document is looked up (so the answer says nothing about the document).
    func testRegressionShareTargetWithControlCharactersIs400() {
        let id = readyDocument()
        for json in [#"{"userId":"bob\u0000x"}"#, #"{"userId":"bob\nx"}"#, #"{"userId":"\u007f"}"#,
                     #"{"userId":"\#(String(repeating: "b", count: 257))"}"#] {
            let r = send("POST", "/api/documents/\(id)/shares", json: json)
            XCTAssertEqual(r.status, 400, json)
            XCTAssertEqual(r.body["error"]?["code"], "invalid_field", json)
            XCTAssertEqual(r.body["error"]?["message"]?.stringValue?.contains("\"userId\""), true, json)
            let other = send("POST", "/api/documents/00000000-0000-4000-8000-999999999999/shares", json: json)
            XCTAssertEqual(other.status, 400, "a document that does not exist answers the same: \(json)")
        }
        XCTAssertEqual(send("DELETE", "/api/documents/\(id)/shares/bob%00x").status, 400)
        XCTAssertEqual(store.state.withLock { $0.shares }, [])
        XCTAssertEqual(send("POST", "/api/documents/\(id)/shares", json: #"{"userId":"auth0|bob@example.com"}"#).status, 201)
        XCTAssertEqual(send("DELETE", "/api/documents/\(id)/shares/auth0%7Cbob@example.com").status, 204)
        XCTAssertEqual(store.state.withLock { $0.shares }, [])
    }

    /// Issue 13, defect 6: C1 controls and invisible format characters were accepted as share
    /// targets (`{"userId":"\u0085"}` was 201); a bidi override or a zero-width character lets one
    /// id pass for another in the audit log.
    func testRegressionShareTargetWithC1OrInvisibleCharactersIs400() {
        let id = readyDocument()
        for scalar in ["0085", "0080", "009F", "202E", "202A", "2066", "2069", "200B", "200D", "200F", "2060", "FEFF"] {
            let json = #"{"userId":"bob\u\#(scalar)"}"#
            let r = send("POST", "/api/documents/\(id)/shares", json: json)
            XCTAssertEqual(r.status, 400, json)
            XCTAssertEqual(r.body["error"]?["code"], "invalid_field", json)
        }
        XCTAssertEqual(send("DELETE", "/api/documents/\(id)/shares/bob%E2%80%AE").status, 400)
        XCTAssertEqual(store.state.withLock { $0.shares }, [])
        XCTAssertEqual(send("POST", "/api/documents/\(id)/shares", json: #"{"userId":"zoë-ünicode-名前"}"#).status, 201)
    }

    /// Ids that cannot exist are a 404 (or a 400 naming the field), on every route, never a 500
    /// and never different from another user's real document.
    func testMalformedIdsAreNeverA500() {
        let real = readyDocument()
        for id in ["not-a-uuid", "..", "%2E%2E", "%00", "00000000-0000-4000-8000-00000000000g", String(repeating: "a", count: 300),
                   "\(real)%00", "\(real)x", "'%3B%20DROP%20TABLE%20documents%3B--"] {
            for (method, path) in [("GET", "/api/documents/\(id)/download"), ("DELETE", "/api/documents/\(id)"),
                                   ("POST", "/api/documents/\(id)/shares"), ("DELETE", "/api/documents/\(id)/shares/bob")] {
                let r = send(method, path, json: method == "POST" ? #"{"userId":"bob"}"# : nil)
                XCTAssertEqual(r.status, 404, "\(method) \(path)")
                XCTAssertEqual(r.body["error"]?["code"], "not_found", "\(method) \(path)")
            }
        }
        for json in [#"{"fileId":"not-a-uuid"}"#, #"{"fileId":"\#(real)\u0000"}"#, #"{"fileId":"00000000-0000-4000-8000-999999999999"}"#] {
            XCTAssertEqual(send("POST", "/api/uploads/confirm", json: json).status, 404, json)
        }
        XCTAssertEqual(send("POST", "/api/uploads/confirm", json: #"{"fileId":"\#(real)"}"#).status, 200, "the real id, for contrast")
        XCTAssertEqual(send("POST", "/api/uploads/confirm", as: "bob", json: #"{"fileId":"\#(real)"}"#).status, 404)
        for json in [#"{"fileId":42}"#, #"{"fileId":"\#(String(repeating: "a", count: 65))"}"#, #"{}"#] {
            let r = send("POST", "/api/uploads/confirm", json: json)
            XCTAssertEqual(r.status, 400, json)
            XCTAssertEqual(r.body["error"]?["message"]?.stringValue?.contains("\"fileId\""), true, json)
        }
    }

    /// Regression: "IMAGE/PNG" passed the purpose check (types compare case-insensitively) and was
    /// signed as given, but S3's `starts-with $Content-Type image/` is case-sensitive, so the
    /// upload could never succeed. The type/subtype is signed lower-cased, parameters kept.
    func testRegressionUpperCaseContentTypeIsSignedLowerCased() {
        let post = presign("avatar", name: "me.png", type: "IMAGE/PNG")
        XCTAssertEqual(post.status, 200)
        XCTAssertEqual(post.body["fields"]?["Content-Type"], "image/png")
        XCTAssertEqual(post.body["fields"]?["x-test-rule"]?.stringValue?.contains("prefix=image/"), true)
        let put = presign("document", name: "a.txt", type: "Text/Plain;charset=UTF-8", method: "PUT")
        XCTAssertEqual(put.body["headers"]?["Content-Type"], "text/plain;charset=UTF-8")
        let id = put.body["fileId"]!.stringValue!
        XCTAssertEqual(store.state.withLock { $0.documents[id]?.declaredType }, "text/plain;charset=UTF-8")
    }

    /// Regression: a forged cursor whose time PostgreSQL cannot hold reached the query (a 500).
    func testRegressionForgedCursorIs400() {
        let forged = Base64.encodeURL(Array("9223372036854775807/00000000-0000-4000-8000-000000000001".utf8))
        let r = send("GET", "/api/documents", query: "cursor=\(forged)")
        XCTAssertEqual(r.status, 400)
        XCTAssertEqual(r.body["error"]?["code"], "invalid_field")
        XCTAssertEqual(r.body["error"]?["message"]?.stringValue?.contains("\"cursor\""), true)
    }

    func testListingPagesNewestFirst() {
        var made: [String] = []
        for _ in 0..<3 {
            made.append(readyDocument())
            clock.advance(10)
        }
        _ = presign()  // pending: not listed
        let first = send("GET", "/api/documents", query: "limit=2")
        XCTAssertEqual(first.body["documents"]?.arrayValue?.compactMap { $0["id"]?.stringValue }, [made[2], made[1]])
        let cursor = first.body["nextCursor"]!.stringValue!
        let second = send("GET", "/api/documents", query: "limit=2&cursor=\(cursor)")
        XCTAssertEqual(second.body["documents"]?.arrayValue?.compactMap { $0["id"]?.stringValue }, [made[0]])
        XCTAssertEqual(second.body["nextCursor"], .null)
        XCTAssertEqual(send("GET", "/api/documents", as: "bob").body["documents"], .array([]))
        XCTAssertEqual(send("GET", "/api/documents", query: "limit=0").status, 400)
        XCTAssertEqual(send("GET", "/api/documents", query: "cursor=abc").status, 400)
    }

    func testCDNCookiesSignOncePerWindowAndLogoutClears() {
        let first = send("POST", "/api/auth/cdn-cookies")
        XCTAssertEqual(first.status, 200)
        let expiry = 1_700_000_000 - 1_700_000_000 % 300 + 3600
        XCTAssertEqual(first.body["expiresAt"]?.stringValue, UTCDateTime(Int64(expiry)).iso8601)
        let cookies = first.headers.values("Set-Cookie")
        XCTAssertEqual(cookies.count, 4)
        let sessionValue = String(cookies[3].dropFirst("Presignd-Media=".count).prefix { $0 != ";" })
        XCTAssertTrue(cookies[3].hasPrefix("Presignd-Media=") && cookies[3].hasSuffix("; HttpOnly; Secure; SameSite=Lax"), cookies[3])
        XCTAssertEqual(session.verify(sessionValue, now: 1_700_000_000)?.user, "alice", "the media session names its user")
        XCTAssertEqual(session.verify(sessionValue, now: 1_700_000_000)?.issuedAt, 1_700_000_000)
        XCTAssertEqual(cookies[0], "CloudFront-Policy=p\(expiry); Domain=.app.test; Path=/; Expires=\(UTCDateTime(Int64(expiry)).httpDate); Max-Age=\(expiry - 1_700_000_000); HttpOnly; Secure; SameSite=Lax")
        clock.advance(50)
        XCTAssertEqual(send("POST", "/api/auth/cdn-cookies", as: "bob").headers.values("Set-Cookie")[1], "CloudFront-Signature=s\(expiry); Domain=.app.test; Path=/; Expires=\(UTCDateTime(Int64(expiry)).httpDate); Max-Age=\(expiry - 1_700_000_050); HttpOnly; Secure; SameSite=Lax")
        XCTAssertEqual(cookieSigner.calls.withLock { $0.count }, 1)
        XCTAssertEqual(cookieSigner.calls.withLock { $0[0].0 }, "https://cdn.app.test/avatars/*")
        clock.advance(300)
        _ = send("POST", "/api/auth/cdn-cookies")
        XCTAssertEqual(cookieSigner.calls.withLock { $0.count }, 2)
        XCTAssertEqual(store.state.withLock { $0.audit.map(\.action) }, ["cdn.cookies", "cdn.cookies", "cdn.cookies"])
        XCTAssertEqual(send("POST", "/api/auth/cdn-cookies", as: nil).status, 401)

        let logout = send("POST", "/api/auth/logout")
        XCTAssertEqual(logout.headers.values("Set-Cookie").map { String($0.prefix(while: { $0 != ";" })) },
                       ["CloudFront-Policy=", "CloudFront-Signature=", "CloudFront-Key-Pair-Id=", "Presignd-Media="])
        XCTAssertTrue(logout.headers.values("Set-Cookie").allSatisfy { $0.contains("Max-Age=0") && $0.contains("Domain=.app.test") })
    }

    func testCookiesAreRefusedWhileTheSigningKeyIsRetired() throws {
        _ = try revocations.revoke(.cdnKey("K1"), cutoff: 1, reason: nil,
                                   audit: AuditEntry(actor: "ops", action: .cdnKeyRetire, resource: "cdn-key:K1", clientAddress: "", at: 0))
        let refused = send("POST", "/api/auth/cdn-cookies")
        XCTAssertEqual(refused.status, 500, "the operator must configure another key")
        XCTAssertTrue(refused.headers.values("Set-Cookie").isEmpty)
    }
}
