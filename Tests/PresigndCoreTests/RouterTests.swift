import PresigndCore
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
