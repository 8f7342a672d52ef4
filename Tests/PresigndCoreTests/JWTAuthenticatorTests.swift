import PresigndSupport
import PresigndHTTP
import PresigndJWT
import Synchronization
import XCTest

/// Transport (header, cookie), RFC 6750 responses, configuration and route-group scopes.
final class JWTAuthenticatorTests: XCTestCase {
    let secret = String(decoding: TokenMinter.hmacSecret, as: UTF8.self)

    func authenticator(_ extra: [String: String] = [:], log: @escaping @Sendable (String) -> Void = { _ in }) throws -> JWTAuthenticator {
        let config = try JWTConfig.load(Environment(["PRESIGND_JWT_HS256_SECRET": secret].merging(extra) { $1 }))
        return config.makeAuthenticator(fetch: { _, _ in throw URLError() }, log: log)
    }

    func request(_ headers: HTTPHeaders) -> HTTPRequest { HTTPRequest(method: "GET", path: "/api/x", headers: headers) }

    func testBearerHeaderAuthenticates() throws {
        let token = TokenMinter.token(.hs256)
        let user = try authenticator().authenticate(request(["Authorization": "Bearer \(token)"]), now: testNow)
        XCTAssertEqual(user, AuthenticatedUser(id: "user-1"))
        XCTAssertEqual(try authenticator().authenticate(request(["authorization": "bearer  \(token)"]), now: testNow).id, "user-1")
    }

    func testMissingTokenIsA401WithABareChallenge() throws {
        for headers: HTTPHeaders in [[:], ["Authorization": "Basic dXNlcjpwYXNz"], ["Cookie": "token=abc"]] {
            XCTAssertThrowsError(try authenticator().authenticate(request(headers), now: testNow)) { error in
                let api = error as! APIError
                XCTAssertEqual(api.status, 401)
                XCTAssertEqual(api.headers["WWW-Authenticate"], "Bearer realm=\"presignd\"")
            }
        }
    }

    func testRefusedTokenNamesThePreciseReasonAndIsLoggedWithoutTheToken() throws {
        let logged = Mutex<[String]>([])
        let token = TokenMinter.token(.hs256, claims: #"{"sub":"u","exp":\#(testNow - 3600)}"#)
        let auth = try authenticator(log: { line in logged.withLock { $0.append(line) } })
        XCTAssertThrowsError(try auth.authenticate(request(["Authorization": "Bearer \(token)"]), now: testNow)) { error in
            let api = error as! APIError
            XCTAssertEqual(api.status, 401)
            XCTAssertEqual(api.code, "invalid_token")
            XCTAssertEqual(api.headers["WWW-Authenticate"], #"Bearer error="invalid_token", error_description="token expired""#)
            let body = String(decoding: api.response.body, as: UTF8.self)
            XCTAssertFalse(body.contains(token))
        }
        let lines = logged.withLock { $0 }
        XCTAssertEqual(lines, ["bearer token refused: token expired"])
        XCTAssertFalse(lines[0].contains(token.split(separator: ".")[2]))
    }

    func testAmbiguousCredentialsAreInvalidRequests() throws {
        var twice = HTTPHeaders()
        twice.add("Authorization", "Bearer a.b.c")
        twice.add("Authorization", "Bearer d.e.f")
        let cases: [HTTPHeaders] = [twice, ["Authorization": "Bearer a b"], ["Authorization": "Bearer "],
                                    ["Cookie": "jwt=a; jwt=b"]]
        for headers in cases {
            XCTAssertThrowsError(try authenticator(["PRESIGND_JWT_COOKIE": "jwt"]).authenticate(request(headers), now: testNow)) { error in
                let api = error as! APIError
                XCTAssertEqual(api.status, 400, "\(headers)")
                XCTAssertTrue(api.headers["WWW-Authenticate"]!.hasPrefix(#"Bearer error="invalid_request""#))
            }
        }
    }

    func testCookieIsReadOnlyWhenConfigured() throws {
        let token = TokenMinter.token(.hs256)
        let headers: HTTPHeaders = ["Cookie": "theme=dark; sb-access-token=\(token); other=1"]
        XCTAssertEqual(try authenticator(["PRESIGND_JWT_COOKIE": "sb-access-token"]).authenticate(request(headers), now: testNow).id, "user-1")
        XCTAssertThrowsError(try authenticator().authenticate(request(headers), now: testNow))
    }

    func testInsufficientScopeIsA403WithTheRequiredScopes() throws {
        let config = try JWTConfig.load(Environment(["PRESIGND_JWT_HS256_SECRET": secret, "PRESIGND_JWT_SCOPES_UPLOADS": "files:write, files:read"]))
        XCTAssertNoThrow(try config.authorize(AuthenticatedUser(id: "u", scopes: ["files:write", "files:read", "x"]), group: "uploads"))
        XCTAssertNoThrow(try config.authorize(AuthenticatedUser(id: "u"), group: "documents"))
        XCTAssertThrowsError(try config.authorize(AuthenticatedUser(id: "u", scopes: ["files:write"]), group: "uploads")) { error in
            let api = error as! APIError
            XCTAssertEqual(api.status, 403)
            XCTAssertEqual(api.code, "insufficient_scope")
            XCTAssertEqual(api.headers["WWW-Authenticate"],
                           #"Bearer error="insufficient_scope", error_description="the token lacks a required scope", scope="files:write files:read""#)
        }
    }

    func testEveryRefusalDescriptionFitsRFC6750() {
        for refusal in JWTRefusal.allCases {
            XCTAssertTrue(refusal.rawValue.unicodeScalars.allSatisfy { (0x20...0x7E).contains($0.value) && $0 != "\"" && $0 != "\\" }, refusal.rawValue)
        }
    }

    func testConfigLoadsEveryKeySourceAndMasksSecrets() throws {
        let files: [String: String] = [
            "/keys/es.pem": JOSEVectors.publicPEM("p256"),
            "/keys/jwks.json": JOSEVectors.text("test-keys/jwks.json"),
            "/keys/secret": secret + "\n",
        ]
        let env = Environment([
            "PRESIGND_JWT_HS512_SECRET_FILE": "/keys/secret",
            "PRESIGND_JWT_PUBLIC_KEY_FILE": "/keys/es.pem", "PRESIGND_JWT_PUBLIC_KEY_ALG": "ES256",
            "PRESIGND_JWT_JWKS_FILE": "/keys/jwks.json",
            "PRESIGND_JWT_ISSUER": "https://a.example/", "PRESIGND_JWT_AUDIENCE": "x,y",
            "PRESIGND_JWT_LEEWAY": "5", "PRESIGND_JWT_USER_CLAIM": "uid",
        ], readFile: { files[$0] })
        let config = try JWTConfig.load(env)
        XCTAssertEqual(config.keys.keys.map(\.algorithm), [.hs512, .es256, .rs256, .es256, .es384, .edDSA])
        XCTAssertEqual(config.policy, ClaimsPolicy(issuers: ["https://a.example/"], audiences: ["x", "y"], leeway: 5, userClaim: "uid"))
        let listed = config.entries.map { "\($0.variable)=\($0.value)" }
        XCTAssertTrue(listed.contains("PRESIGND_JWT_HS512_SECRET=****** (\(secret.utf8.count) bytes)"), "\(listed)")
        XCTAssertFalse(listed.joined().contains(secret))
    }

    func testConfigErrorsNameTheVariable() {
        let cases: [([String: String], String)] = [
            ([:], "PRESIGND_JWT_HS256_SECRET"),
            (["PRESIGND_JWT_HS256_SECRET": "short"], "PRESIGND_JWT_HS256_SECRET"),
            (["PRESIGND_JWT_PUBLIC_KEY_FILE": "/k.pem"], "PRESIGND_JWT_PUBLIC_KEY_ALG"),
            (["PRESIGND_JWT_PUBLIC_KEY_FILE": "/k.pem", "PRESIGND_JWT_PUBLIC_KEY_ALG": "HS256"], "PRESIGND_JWT_PUBLIC_KEY_ALG"),
            (["PRESIGND_JWT_PUBLIC_KEY_FILE": "/k.pem", "PRESIGND_JWT_PUBLIC_KEY_ALG": "ES384"], "PRESIGND_JWT_PUBLIC_KEY_FILE"),
            (["PRESIGND_JWT_JWKS_URL": "http://idp.example/jwks"], "PRESIGND_JWT_JWKS_URL"),
            (["PRESIGND_JWT_JWKS_URL": "https://idp.example/jwks", "PRESIGND_JWT_LEEWAY": "-1"], "PRESIGND_JWT_LEEWAY"),
        ]
        for (variables, variable) in cases {
            let env = Environment(variables, readFile: { _ in JOSEVectors.publicPEM("p256") })
            XCTAssertThrowsError(try JWTConfig.load(env)) { error in
                XCTAssertEqual((error as? ConfigError)?.variable, variable, "\(variables)")
            }
        }
        XCTAssertNoThrow(try JWTConfig.load(Environment(["PRESIGND_JWT_JWKS_URL": "http://127.0.0.1:8080/jwks"])))
    }

    /// Issue 13, defect 10: a cross-site form or body-less request carries the cookie; a
    /// state-changing one authenticated by it needs X-Requested-With, which no form can add.
    func testRegressionCookieAuthenticatedStateChangeNeedsTheCustomHeader() throws {
        let auth = try authenticator(["PRESIGND_JWT_COOKIE": "jwt"])
        let cookie = "jwt=\(TokenMinter.token(.hs256))"
        for method in ["POST", "DELETE", "PUT", "PATCH"] {
            XCTAssertThrowsError(try auth.authenticate(HTTPRequest(method: method, path: "/api/x", headers: ["Cookie": cookie]), now: testNow)) { error in
                XCTAssertEqual((error as! APIError).status, 403, method)
                XCTAssertEqual((error as! APIError).code, "cross_site_request", method)
            }
            let marked = HTTPRequest(method: method, path: "/api/x", headers: ["Cookie": cookie, "X-Requested-With": "fetch"])
            XCTAssertEqual(try auth.authenticate(marked, now: testNow).id, "user-1", method)
            let bearer = HTTPRequest(method: method, path: "/api/x", headers: ["Authorization": "Bearer \(TokenMinter.token(.hs256))"])
            XCTAssertEqual(try auth.authenticate(bearer, now: testNow).id, "user-1", "a bearer header needs nothing more")
        }
        XCTAssertEqual(try auth.authenticate(HTTPRequest(method: "GET", path: "/api/x", headers: ["Cookie": cookie]), now: testNow).id, "user-1")
    }
}
