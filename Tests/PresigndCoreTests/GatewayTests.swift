import XCTest
@testable import PresigndHTTP

final class GatewayRequestTests: XCTestCase {
    let limits = GatewayLimits(bodyLimit: 100, headerLimit: 2048, pathLimit: 64)

    func params(_ pairs: [(String, String)]) -> [GatewayParam] { pairs.map { GatewayParam($0.0, $0.1) } }

    func testNginxParamsBecomeRequestHead() throws {
        let head = try GatewayRequestHead.parse(params([
            ("REQUEST_METHOD", "POST"), ("REQUEST_URI", "/api/files/a%2Fb?x=1"), ("DOCUMENT_URI", "/api/files/a/b"),
            ("QUERY_STRING", "x=1"), ("CONTENT_TYPE", "application/json"), ("CONTENT_LENGTH", "12"),
            ("HTTP_X_REQUEST_ID", "abc"), ("HTTP_AUTHORIZATION", "Bearer t"), ("REMOTE_ADDR", "127.0.0.1"),
            ("SERVER_SOFTWARE", "nginx"),
        ]), limits: limits)
        XCTAssertEqual(head.method, "POST")
        XCTAssertEqual(head.path, "/api/files/a%2Fb", "REQUEST_URI keeps the client's encoding")
        XCTAssertEqual(head.query, "x=1")
        XCTAssertEqual(head.contentLength, 12)
        XCTAssertEqual(head.remoteAddress, "127.0.0.1")
        XCTAssertEqual(head.headers["x-request-id"], "abc")
        XCTAssertEqual(head.headers["Authorization"], "Bearer t")
        XCTAssertEqual(head.headers["Content-Type"], "application/json")
        XCTAssertNil(head.headers["software"])
    }

    func testCGIWithoutRequestURIReencodesScriptNameAndPathInfo() throws {
        let head = try GatewayRequestHead.parse(params([
            ("REQUEST_METHOD", "GET"), ("SCRIPT_NAME", "/api"), ("PATH_INFO", "/files/a b"),
        ]), limits: limits)
        XCTAssertEqual(head.path, "/api/files/a%20b")
        XCTAssertNil(head.contentLength)
    }

    func testRefusals() {
        func code(_ pairs: [(String, String)]) -> String? {
            do { _ = try GatewayRequestHead.parse(params(pairs), limits: limits); return nil } catch { return "\(error.status) \(error.code)" }
        }
        XCTAssertEqual(code([("REQUEST_URI", "/")]), "400 bad_method")
        XCTAssertEqual(code([("REQUEST_METHOD", "GE T"), ("REQUEST_URI", "/")]), "400 bad_method")
        XCTAssertEqual(code([("REQUEST_METHOD", "GET")]), "400 bad_path")
        XCTAssertEqual(code([("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/" + String(repeating: "a", count: 64))]), "414 path_too_long")
        XCTAssertEqual(code([("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/"), ("CONTENT_LENGTH", "-1")]), "400 bad_content_length")
        XCTAssertEqual(code([("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/"), ("CONTENT_LENGTH", "99999999999999999999")]), "400 bad_content_length")
        XCTAssertEqual(code([("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/"), ("HTTP_COOKIE", String(repeating: "c", count: 3000))]), "431 headers_too_large")
        XCTAssertEqual(code([("REQUEST_METHOD", "BREW"), ("REQUEST_URI", "/")]), nil, "unknown methods are the router's business (405)")
    }

    func testNonUTF8PathIsRefused() {
        let raw = [GatewayParam("REQUEST_METHOD", "GET"), GatewayParam("REQUEST_URI", [0x2F, 0xFF, 0xFE])]
        XCTAssertThrowsError(try GatewayRequestHead.parse(raw, limits: limits)) { error in
            XCTAssertEqual((error as? APIError)?.code, "bad_path")
        }
    }

    func head(length: Int?) -> GatewayRequestHead {
        GatewayRequestHead(method: "POST", path: "/", query: "", headers: HTTPHeaders(), remoteAddress: "", contentLength: length)
    }

    func testBodyOverTheLimitIsRefusedBeforeReading() {
        var reads = 0
        XCTAssertThrowsError(try GatewayBody.read(head(length: 70000), limit: 65536) { _ in reads += 1; return [] }) { error in
            let api = error as! APIError
            XCTAssertEqual(api.status, 413)
            XCTAssertEqual(String(decoding: api.response.body, as: UTF8.self),
                           #"{"error":{"code":"body_too_large","message":"request body is 70000 bytes; the limit is 65536"}}"#)
        }
        XCTAssertEqual(reads, 0)
    }

    func testTruncatedBodyIsA400() {
        XCTAssertThrowsError(try GatewayBody.read(head(length: 10), limit: 100) { _ in Array("abc".utf8) }) { error in
            XCTAssertEqual((error as? APIError)?.code, "truncated_body")
            XCTAssertEqual((error as? APIError)?.message, "request body ended after 3 of the 10 bytes Content-Length announced")
        }
    }

    func testBodyWithoutLengthReadsToEndButNotPastTheLimit() throws {
        XCTAssertEqual(try GatewayBody.read(head(length: nil), limit: 5) { Array("abcde".utf8.prefix($0)) }, Array("abcde".utf8))
        XCTAssertThrowsError(try GatewayBody.read(head(length: nil), limit: 4) { Array("abcde".utf8.prefix($0)) }) { error in
            XCTAssertEqual((error as? APIError)?.status, 413)
        }
        XCTAssertEqual(try GatewayBody.read(head(length: 3), limit: 5) { Array("abcdef".utf8.prefix($0)) }, Array("abc".utf8))
    }

    func testResponseHasStatusLineLengthAndNoInjectedHeaders() {
        var headers = HTTPHeaders()
        headers.add("X-Ok", "fine")
        headers.add("X-Bad", "a\r\nSet-Cookie: evil=1")
        headers.add("Bad Name", "x")
        let text = String(decoding: GatewayResponse.serialize(HTTPResponse(status: 405, headers: headers, body: Array("hi".utf8))), as: UTF8.self)
        XCTAssertEqual(text, "Status: 405 Method Not Allowed\r\nX-Ok: fine\r\nContent-Length: 2\r\n\r\nhi")
    }
}
