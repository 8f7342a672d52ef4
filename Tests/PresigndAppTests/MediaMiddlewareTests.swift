import XCTest
@testable import PresigndApp
import PresigndSupport
import PresigndHTTP
import PresigndJWT
import PresigndSigning
import PresigndCrypto

/// The media route without nginx: cookies signed by a real CloudFront signer, verified by the
/// real verifier; path tricks never reach another key; owner-only paths.
final class MediaMiddlewareTests: XCTestCase {
    static let pem = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgPoCmLOqOE2hyJzYU
        mMSr/lfalJ16VJwLrrb1SCILa9GhRANCAARZNveA8YPXTri82hCmfV6TFnckAcGe
        Xn9hMSVbwJ4Xnc+MrexpVH+D1xDdugMiMGldQ7R3Q6sf5/qbNdYhgdHo
        -----END PRIVATE KEY-----
        """
    let clock = SettableClock()
    let cdn = CDNConfig(domain: "cdn.app.test", pathPattern: "/*", cookieDomain: ".app.test")

    func app(ownerPaths: [String] = ["/images/{user}/*"]) throws -> Application {
        let verifier = CloudFrontVerifier(keys: ["K1": try AsymmetricKey.privateKey(pem: Self.pem)])
        let media = MediaFlow(config: MediaConfig(ownerPatterns: ownerPaths.compactMap(MediaConfig.OwnerPattern.init), maxAge: 600),
                              cdn: cdn, verifier: verifier, signer: FakeURLSigner(), authenticator: HeaderAuthenticator(), logger: .discarding)
        return Application(routes: media.routes, authenticator: HeaderAuthenticator(), clock: clock, logger: .discarding)
    }

    func cookies(_ resource: String = "https://cdn.app.test/*", expires: UnixSeconds? = nil) throws -> String {
        let signer = try CloudFrontSigner(keyPairID: "K1", privateKeyPEM: Self.pem, hashAlgorithm: .sha256)
        return try signer.cookies(policy: .custom(resource: resource, dateLessThan: expires ?? clock.now() + 3600))
            .map { "\($0.name)=\($0.value)" }.joined(separator: "; ")
    }

    func get(_ app: Application, _ path: String, cookie: String?, user: String? = nil, method: String = "GET") -> HTTPResponse {
        var headers = HTTPHeaders()
        if let cookie { headers.add("Cookie", cookie) }
        if let user { headers.add("Authorization", "Test \(user)") }
        return app.handle(HTTPRequest(method: method, path: path, query: "", headers: headers, body: [], remoteAddress: "192.0.2.1"))
    }

    func testValidCookiesRedirectToNginxWithAShortPresignedGet() throws {
        let r = get(try app(), "/media/avatars/alice/a%20b.png", cookie: try cookies())
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.headers["X-Accel-Redirect"], "/_presignd_media")
        XCTAssertEqual(r.headers["X-Presignd-Media-Key"], "avatars/alice/a b.png", "the cache key is the object key, not the signature")
        XCTAssertEqual(r.headers["X-Presignd-Media-URL"], "https://s3.test/bucket/avatars/alice/a b.png?get&cd=&ct=&exp=60")
        XCTAssertEqual(r.headers["X-Presignd-Media-Cache-Control"], "private, max-age=600")
        XCTAssertEqual(r.body, [])
        let soon = get(try app(), "/media/avatars/a.png", cookie: try cookies(expires: clock.now() + 100))
        XCTAssertEqual(soon.headers["X-Presignd-Media-Cache-Control"], "private, max-age=99", "never beyond the cookie's life")
        XCTAssertEqual(get(try app(), "/media/avatars/a.png", cookie: try cookies(), method: "HEAD").status, 200)
        XCTAssertEqual(get(try app(), "/media/avatars/a.png", cookie: try cookies(), method: "POST").status, 405)
    }

    func testBadCookiesAre403() throws {
        let a = try app()
        for (name, cookie) in [("none", nil), ("expired", try cookies(expires: clock.now() - 1)),
                               ("wrong resource", try cookies("https://cdn.app.test/avatars/*")),
                               ("other domain", try cookies("https://cdn.other.test/*"))] as [(String, String?)] {
            let r = get(a, "/media/images/x.png", cookie: cookie)
            XCTAssertEqual(r.status, 403, name)
            XCTAssertEqual(try JSONParser().parse(r.body)["error"]?["code"], "media_forbidden", name)
            XCTAssertNil(r.headers["X-Accel-Redirect"], name)
        }
    }

    func testPathTricksNeverReachAnotherKey() throws {
        let a = try app()
        let cookie = try cookies()
        for path in ["/media/avatars/../images/bob/x.png", "/media/avatars/%2e%2e/images/bob/x.png", "/media/avatars/%2E%2E%2Fimages/bob/x.png",
                     "/media/avatars%2f..%2fimages/bob/x.png", "/media/avatars/%252e%252e/images/x.png", "/media/avatars/x%00.png",
                     "/media/avatars//x.png", "/media/./avatars/x.png", "/media/avatars/x%5c..%5cy.png", "/media/", "/media/%ZZ",
                     "/media/avatars/%C2%85x.png"] {
            let r = get(a, path, cookie: cookie)
            XCTAssertEqual(r.status, 400, path)
            XCTAssertNil(r.headers["X-Accel-Redirect"], path)
        }
    }

    func testOwnerOnlyPaths() throws {
        let a = try app()
        let cookie = try cookies()
        XCTAssertEqual(get(a, "/media/images/alice/x.png", cookie: cookie, user: "alice").status, 200)
        XCTAssertEqual(get(a, "/media/images/alice/x.png", cookie: cookie, user: "bob").status, 403)
        XCTAssertEqual(get(a, "/media/images/alice/x.png", cookie: cookie).status, 403, "no token: not the owner")
        XCTAssertEqual(get(a, "/media/images/auth0~7C42/x.png", cookie: cookie, user: "auth0|42").status, 200, "the key-safe segment of the id")
        XCTAssertEqual(get(a, "/media/avatars/alice/x.png", cookie: cookie, user: "bob").status, 200, "shared paths: any holder")
        XCTAssertNil(MediaConfig.OwnerPattern("/images/*"))
        XCTAssertNil(MediaConfig.OwnerPattern("/images/{user}"))
    }

    func testOtherPathsPassThrough() throws {
        XCTAssertEqual(get(try app(), "/mediafile", cookie: nil).status, 404)
        XCTAssertEqual(get(try app(), "/api/documents", cookie: nil).status, 404)
    }
}
