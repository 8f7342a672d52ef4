import PresigndHTTP
import XCTest

final class RouterTests: XCTestCase {
    let router = Router<String>([
        Route("GET", "/api/documents", access: .user, handler: "list"),
        Route("GET", "/api/documents/{id}/download", access: .user, handler: "download"),
        Route("DELETE", "/api/documents/{id}", access: .user, handler: "delete"),
        Route("POST", "/api/documents/{id}/shares", access: .user, handler: "share"),
        Route("DELETE", "/api/documents/{id}/shares/{userId}", access: .user, handler: "unshare"),
        Route("GET", "/healthz", access: .everyone, handler: "health"),
    ])

    func testMatchesAndBindsParameters() {
        guard case .found(let route, let parameters) = router.match(method: "DELETE", path: "/api/documents/42/shares/auth0%7C7") else {
            return XCTFail("no match")
        }
        XCTAssertEqual(route.handler, "unshare")
        XCTAssertEqual(parameters, ["id": "42", "userId": "auth0|7"])
    }

    /// A literal segment beats a parameter whatever the method: `/api/uploads/presign` is not an
    /// `{id}`, so DELETE there is a 405 naming POST, and `batch` is not a part number.
    func testLiteralSegmentsBeatParameters() {
        let uploads = Router<String>([
            Route("POST", "/api/uploads/presign", access: .user, handler: "presign"),
            Route("GET", "/s3/multipart/{uploadId}/{partNumber}", access: .user, handler: "part"),
            Route("GET", "/s3/multipart/{uploadId}/batch", access: .user, handler: "batch"),
            Route("DELETE", "/api/uploads/{id}", access: .user, handler: "abort"),
        ])
        guard case .methodNotAllowed(let allowed) = uploads.match(method: "DELETE", path: "/api/uploads/presign") else { return XCTFail() }
        XCTAssertEqual(allowed, ["POST"])
        XCTAssertEqual(uploads.methods(for: "/api/uploads/presign"), ["POST"])
        XCTAssertEqual(uploads.methods(for: "/api/uploads/0a1b"), ["DELETE"])
        XCTAssertEqual(uploads.methods(for: "/api/nothing"), [])
        guard case .found(let batch, _) = uploads.match(method: "GET", path: "/s3/multipart/u1/batch") else { return XCTFail() }
        XCTAssertEqual(batch.handler, "batch", "even when the parameter route is listed first")
        guard case .found(let part, let parameters) = uploads.match(method: "GET", path: "/s3/multipart/u1/7") else { return XCTFail() }
        XCTAssertEqual(part.handler, "part")
        XCTAssertEqual(parameters, ["uploadId": "u1", "partNumber": "7"])
    }

    func testEncodedSlashStaysInsideItsSegment() {
        guard case .found(_, let parameters) = router.match(method: "DELETE", path: "/api/documents/a%2Fb") else {
            return XCTFail("no match")
        }
        XCTAssertEqual(parameters["id"], "a/b")
    }

    func testUnknownPathIs404AndWrongMethodListsAllowed() {
        guard case .notFound = router.match(method: "GET", path: "/api/nope") else { return XCTFail() }
        guard case .methodNotAllowed(let allowed) = router.match(method: "PUT", path: "/api/documents/1") else { return XCTFail() }
        XCTAssertEqual(allowed, ["DELETE"])
        guard case .methodNotAllowed(let getAllowed) = router.match(method: "POST", path: "/healthz") else { return XCTFail() }
        XCTAssertEqual(getAllowed, ["GET", "HEAD"])
    }

    func testHeadUsesGetRoutes() {
        guard case .found(let route, _) = router.match(method: "HEAD", path: "/healthz") else { return XCTFail() }
        XCTAssertEqual(route.handler, "health")
    }

    func testMalformedEscapesAreBadPaths() {
        guard case .badPath = router.match(method: "GET", path: "/api/documents/%E9/download") else { return XCTFail() }
        guard case .badPath = router.match(method: "GET", path: "/api/%zz") else { return XCTFail() }
    }

    func testTrailingAndDoubledSlashesMatchTheSameRoute() {
        guard case .found = router.match(method: "GET", path: "/api/documents/") else { return XCTFail() }
        guard case .found = router.match(method: "GET", path: "//api//documents") else { return XCTFail() }
    }
}
