import XCTest
@testable import PresigndApp
import PresigndSupport
import PresigndHTTP
import PresigndJWT
import PresigndCrypto

/// Cookie mode through the real JWT authenticator: a route that changes state refuses a request
/// authenticated by the cookie alone, whatever its method.
final class CookieModeTests: XCTestCase {
    static let secret = "cookie-mode-secret-0123456789abcdef0123"
    var store: MemoryDocumentStore!
    var app: Application!

    override func setUpWithError() throws {
        store = MemoryDocumentStore()
        let jwt = try JWTConfig.load(Environment(["PRESIGND_JWT_HS256_SECRET": Self.secret, "PRESIGND_JWT_COOKIE": "jwt"]))
        let uploads = UploadFlow(config: FlowsConfig(), store: store, objects: MemoryObjectStore(), signer: FakeURLSigner())
        app = Application(routes: uploads.routes + UppyFlow(uploads: uploads, bucket: "bucket", objectURL: { "https://s3.test/bucket/\($0)" }).routes,
                          authenticator: jwt.makeAuthenticator(fetch: { _, _ in (404, [:], []) }, log: { _ in }), scopes: jwt.scopes,
                          clock: FixedClock(1_700_000_000), logger: .discarding)
    }

    static func token(_ user: String) -> String {
        let header = Base64.encodeURL(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let claims = Base64.encodeURL(Array(#"{"sub":"\#(user)","exp":2000000000}"#.utf8))
        let signature = HMAC.sha256(key: Array(secret.utf8), data: Array("\(header).\(claims)".utf8))
        return "\(header).\(claims).\(Base64.encodeURL(signature))"
    }

    func send(_ method: String, _ path: String, query: String = "", headers: HTTPHeaders) -> HTTPResponse {
        app.handle(HTTPRequest(method: method, path: path, query: query, headers: headers, remoteAddress: "192.0.2.7"))
    }

    /// Regression (attack campaign): `GET s3/params` creates a pending upload and reserves the
    /// purpose's quota; with the `SameSite=Lax` session cookie alone (a cross-site top-level GET)
    /// it did, and six such GETs filled a victim's quota.
    func testRegressionCookieOnlyGETThatCreatesAnUploadIsRefused() throws {
        let query = "filename=a.pdf&type=application/pdf&metadata[purpose]=document"
        let cookie: HTTPHeaders = ["Cookie": "jwt=\(Self.token("alice"))"]
        let refused = send("GET", "/api/uppy/s3/params", query: query, headers: cookie)
        XCTAssertEqual(refused.status, 403)
        XCTAssertEqual(try JSONParser().parse(refused.body)["error"]?["code"], "cross_site_request")
        XCTAssertEqual(store.state.withLock { $0.documents.count }, 0, "nothing was created")

        var marked = cookie
        marked.add("X-Requested-With", "fetch")
        XCTAssertEqual(send("GET", "/api/uppy/s3/params", query: query, headers: marked).status, 200, "the page's own script may")
        let bearer: HTTPHeaders = ["Authorization": "Bearer \(Self.token("alice"))"]
        XCTAssertEqual(send("GET", "/api/uppy/s3/params", query: query, headers: bearer).status, 200, "a bearer header needs nothing more")
        XCTAssertEqual(store.state.withLock { $0.documents.count }, 2)
        XCTAssertEqual(send("GET", "/api/usage", headers: cookie).status, 200, "a GET that only reads needs no header")
    }
}
