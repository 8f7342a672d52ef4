import XCTest
@testable import PresigndApp
import PresigndHTTP

final class CORSMiddlewareTests: XCTestCase {
    let app = "https://app.example.com"

    func application(credentials: Bool = false) -> Application {
        let routes = [
            Route("GET", "/api/documents", access: .user, handler: Endpoint { _ in .json(["documents": []]) }),
            Route("POST", "/api/uploads/presign", access: .user, handler: Endpoint { _ in .json(["ok": true]) }),
        ]
        let router = Router(routes)
        let cors = CORSMiddleware(config: CORSConfig(origins: [app], maxAge: 600), allowCredentials: credentials,
                                  methods: { router.methods(for: $0) })
        return Application(routes: routes, authenticator: HeaderAuthenticator(), clock: SettableClock(), middleware: [cors], logger: .discarding)
    }

    func send(_ app: Application, _ method: String, _ path: String, _ headers: HTTPHeaders) -> HTTPResponse {
        app.handle(HTTPRequest(method: method, path: path, query: "", headers: headers, body: [], remoteAddress: "192.0.2.1"))
    }

    func testPreflightFromAnAllowedOrigin() {
        let r = send(application(), "OPTIONS", "/api/uploads/presign", ["Origin": app, "Access-Control-Request-Method": "POST"])
        XCTAssertEqual(r.status, 204)
        XCTAssertEqual(r.headers["Access-Control-Allow-Origin"], app)
        XCTAssertEqual(r.headers["Access-Control-Allow-Methods"], "POST")
        XCTAssertEqual(r.headers["Access-Control-Allow-Headers"], "Authorization, Content-Type, X-Requested-With")
        XCTAssertEqual(r.headers["Access-Control-Max-Age"], "600")
        XCTAssertNil(r.headers["Access-Control-Allow-Credentials"])
        let withCookies = send(application(credentials: true), "OPTIONS", "/api/documents", ["Origin": app, "Access-Control-Request-Method": "GET"])
        XCTAssertEqual(withCookies.headers["Access-Control-Allow-Credentials"], "true")
        XCTAssertEqual(withCookies.headers["Access-Control-Allow-Methods"], "GET, HEAD")
    }

    func testOtherOriginsGetNoCORSHeaders() {
        let preflight = send(application(), "OPTIONS", "/api/documents", ["Origin": "https://evil.example", "Access-Control-Request-Method": "GET"])
        XCTAssertEqual(preflight.status, 403)
        XCTAssertNil(preflight.headers["Access-Control-Allow-Origin"])
        let request = send(application(), "GET", "/api/documents", ["Origin": "https://evil.example", "Authorization": "Test alice"])
        XCTAssertEqual(request.status, 200, "same-origin pages send Origin too; the request is served, only unreadable cross-origin")
        XCTAssertNil(request.headers["Access-Control-Allow-Origin"])
    }

    func testErrorsAndAnswersCarryTheHeadersForAnAllowedOrigin() {
        let denied = send(application(), "GET", "/api/documents", ["Origin": app])
        XCTAssertEqual(denied.status, 401)
        XCTAssertEqual(denied.headers["Access-Control-Allow-Origin"], app)
        XCTAssertEqual(denied.headers["Vary"], "Origin")
        let tooBig = application().handle(HTTPRequest(method: "POST", path: "/api/uploads/presign", query: "",
                                                      headers: ["Origin": app], body: Array(repeating: 0x20, count: 70_000), remoteAddress: ""))
        XCTAssertEqual(tooBig.status, 413)
        XCTAssertEqual(tooBig.headers["Access-Control-Allow-Origin"], app, "the limits run inside CORS")
        XCTAssertEqual(send(application(), "OPTIONS", "/api/documents", [:]).headers["Allow"], "GET, HEAD, OPTIONS")
        XCTAssertEqual(send(application(), "OPTIONS", "/api/missing", ["Origin": app, "Access-Control-Request-Method": "GET"]).status, 404)
    }
}
