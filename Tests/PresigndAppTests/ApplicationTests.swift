import PresigndApp
import PresigndSupport
import PresigndHTTP
import PresigndJWT
import XCTest

/// Requests go straight into the application, no socket: routing, limits, auth and the error shape.
final class ApplicationTests: XCTestCase {
    struct TokenIsUserID: Authenticator {
        func authenticate(_ request: HTTPRequest, now: UnixSeconds) throws(APIError) -> AuthenticatedUser {
            guard let header = request.headers["Authorization"], header.hasPrefix("Bearer ") else {
                throw APIError(status: 401, code: "invalid_token", message: "a bearer token is required",
                               headers: ["WWW-Authenticate": #"Bearer realm="presignd""#])
            }
            let id = String(header.dropFirst(7))
            return AuthenticatedUser(id: id, scopes: id == "admin" ? ["files:write"] : [])
        }
    }

    struct Secret: Error { let text = "password=hunter2" }

    var logged: [String] = []

    func makeApp(log: @escaping @Sendable (String) -> Void = { _ in }) -> Application {
        let routes = HealthRoutes.routes() + [
            Route("POST", "/api/echo", access: .user, handler: Endpoint { ctx in
                let body = try ctx.jsonBody()
                let name = try body.string("name", maxLength: 10)
                let size = try body.integer("size", in: 1...100)
                return .json(["user": .string(try ctx.requireUser().id), "name": .string(name), "size": .int(size)])
            }),
            Route("POST", "/api/admin", access: .user, handler: Endpoint(group: "admin") { _ in .json(["ok": true]) }),
            Route("GET", "/api/fail", access: .everyone, handler: Endpoint { _ in throw Secret() }),
        ]
        return Application(
            routes: routes, authenticator: TokenIsUserID(), scopes: ScopeRequirements(["admin": ["files:write"]]),
            clock: FixedClock(1_773_500_966), limits: RequestLimits(maxBodyBytes: 100, maxPathBytes: 64),
            logger: Logger(sink: log))
    }

    func request(_ method: String, _ path: String, body: String? = nil, contentType: String? = "application/json",
                 token: String? = "alice") -> HTTPRequest {
        var headers = HTTPHeaders()
        if let token { headers.add("Authorization", "Bearer \(token)") }
        if let contentType, body != nil { headers.add("Content-Type", contentType) }
        return HTTPRequest(method: method, path: path, headers: headers, body: Array((body ?? "").utf8))
    }

    func error(_ response: HTTPResponse) -> (code: String?, message: String?) {
        let json = try? JSONParser().parse(response.body)
        return (json?["error"]?["code"]?.stringValue, json?["error"]?["message"]?.stringValue)
    }

    func testHealthz() throws {
        let response = makeApp().handle(request("GET", "/healthz", token: nil))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.headers["Content-Type"], "application/json")
        XCTAssertEqual(String(decoding: response.body, as: UTF8.self), #"{"status":"ok","version":"\#(PresigndVersion.current)"}"#)
    }

    func testHeadHasNoBody() {
        let response = makeApp().handle(request("HEAD", "/healthz", token: nil))
        XCTAssertEqual(response.status, 200)
        XCTAssertTrue(response.body.isEmpty)
    }

    func testHandlerSeesUserAndFields() {
        let response = makeApp().handle(request("POST", "/api/echo", body: #"{"name":"doc","size":5}"#))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(String(decoding: response.body, as: UTF8.self), #"{"user":"alice","name":"doc","size":5}"#)
    }

    func testUnknownRouteIs404InTheErrorShape() {
        let response = makeApp().handle(request("GET", "/api/nothing"))
        XCTAssertEqual(response.status, 404)
        XCTAssertEqual(error(response).code, "not_found")
    }

    func testWrongMethodIs405WithAllow() {
        let response = makeApp().handle(request("DELETE", "/api/echo"))
        XCTAssertEqual(response.status, 405)
        XCTAssertEqual(response.headers["Allow"], "POST")
        XCTAssertEqual(error(response).code, "method_not_allowed")
    }

    func testMissingTokenIs401WithChallenge() {
        let response = makeApp().handle(request("POST", "/api/echo", body: "{}", token: nil))
        XCTAssertEqual(response.status, 401)
        XCTAssertEqual(response.headers["WWW-Authenticate"], #"Bearer realm="presignd""#)
    }

    func testScopeGroupIsEnforced() {
        XCTAssertEqual(makeApp().handle(request("POST", "/api/admin", body: "{}")).status, 403)
        XCTAssertEqual(makeApp().handle(request("POST", "/api/admin", body: "{}", token: "admin")).status, 200)
    }

    func testOversizedBodyIs413NamingTheSizes() {
        let response = makeApp().handle(request("POST", "/api/echo", body: String(repeating: "x", count: 150)))
        XCTAssertEqual(response.status, 413)
        XCTAssertEqual(error(response).code, "body_too_large")
        XCTAssertEqual(error(response).message, "request body is 150 bytes; the limit is 100")
    }

    func testLongPathIs414() {
        XCTAssertEqual(makeApp().handle(request("GET", "/" + String(repeating: "a", count: 100))).status, 414)
    }

    func testWrongContentTypeIs415() {
        let response = makeApp().handle(request("POST", "/api/echo", body: "name=x", contentType: "application/x-www-form-urlencoded"))
        XCTAssertEqual(response.status, 415)
        XCTAssertEqual(error(response).code, "unsupported_media_type")
        XCTAssertEqual(makeApp().handle(request("POST", "/api/echo", body: #"{"name":"a","size":1}"#,
                                                contentType: "Application/JSON; charset=utf-8")).status, 200)
    }

    /// Issue 13, defect 5: the media type was split on ";" and trimmed, so `;application/json`
    /// (an empty type with a parameter-looking tail) and other broken values were taken as JSON.
    func testRegressionContentTypeIsParsedStrictly() {
        let body = #"{"name":"a","size":1}"#
        for refused in [";application/json", "application/json x", "application /json",
                        "application/json; charset", "application/json; charset=\"utf-8", "application/json, text/plain",
                        "application/json; charset=latin1", "application/jsonp", "\u{01}application/json", ""] {
            XCTAssertEqual(makeApp().handle(request("POST", "/api/echo", body: body, contentType: refused)).status, 415, refused)
        }
        for accepted in ["application/json", " Application/JSON ", "application/json;charset=UTF-8",
                         "application/json ; charset=\"utf-8\"", "application/json;", "application/json;;", "application/json; x=1; charset=utf-8"] {
            XCTAssertEqual(makeApp().handle(request("POST", "/api/echo", body: body, contentType: accepted)).status, 200, accepted)
        }
    }

    func testMalformedJSONIs400NamingTheProblem() {
        let response = makeApp().handle(request("POST", "/api/echo", body: #"{"name": "a",}"#))
        XCTAssertEqual(response.status, 400)
        XCTAssertEqual(error(response).code, "malformed_json")
        XCTAssertEqual(error(response).message, "the request body is not valid JSON: expected a string key at byte 13")
    }

    func testNonUTF8BodyIs400() {
        var req = request("POST", "/api/echo", body: "")
        req.body = [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]
        let response = makeApp().handle(req)
        XCTAssertEqual(response.status, 400)
        XCTAssertEqual(error(response).code, "malformed_json")
    }

    func testFieldErrorsNameTheField() {
        let cases: [(String, String, String)] = [
            (#"{"size":5}"#, "missing_field", #"the field "name" is required"#),
            (#"{"name":7,"size":5}"#, "invalid_field", #"the field "name" must be a string, got a number"#),
            (#"{"name":"abcdefghijk","size":5}"#, "invalid_field", #"the field "name" is longer than 10 bytes"#),
            (#"{"name":"a","size":500}"#, "invalid_field", #"the field "size" must be between 1 and 100, got 500"#),
            (#"{"name":"a","size":"5"}"#, "invalid_field", #"the field "size" must be a whole number, got a string"#),
            (#"[1]"#, "malformed_json", "the request body must be a JSON object, got an array"),
        ]
        for (body, code, message) in cases {
            let response = makeApp().handle(request("POST", "/api/echo", body: body))
            XCTAssertEqual(response.status, 400, body)
            XCTAssertEqual(error(response).code, code, body)
            XCTAssertEqual(error(response).message, message, body)
        }
    }

    func testUnexpectedErrorsAre500AndLeakNothing() {
        final class Lines: @unchecked Sendable { var all: [String] = [] }
        let lines = Lines()
        let response = makeApp(log: { lines.all.append($0) }).handle(request("GET", "/api/fail"))
        XCTAssertEqual(response.status, 500)
        XCTAssertEqual(error(response).code, "internal_error")
        XCTAssertFalse(String(decoding: response.body, as: UTF8.self).contains("hunter2"))
        // The unhandled error's line, then the request's own (errors are logged by default).
        XCTAssertEqual(lines.all.count, 2, "\(lines.all)")
        XCTAssertTrue(lines.all[0].hasPrefix("presignd error: unhandled Secret on GET /api/fail [request "), lines.all[0])
        XCTAssertTrue(lines.all[1].hasPrefix("presignd error: GET /api/fail 500 "), lines.all[1])
        XCTAssertTrue(lines.all[1].contains(" internal_error request="), lines.all[1])
        XCTAssertFalse(lines.all.contains { $0.contains("hunter2") })
    }
}
