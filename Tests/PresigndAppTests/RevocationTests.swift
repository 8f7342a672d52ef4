import XCTest
@testable import PresigndApp
import PresigndSupport
import PresigndHTTP
import PresigndJWT
import PresigndUploads

/// Revocations without a database: the authenticator refuses tokens issued before a user's
/// cutoff on every route, and the admin route records one behind its own scope.
final class RevocationTests: XCTestCase {
    /// `Authorization: Test <user> <iat> [scope]`: a user, when the token was issued, its scopes.
    struct IssuedAtAuthenticator: Authenticator {
        func authenticate(_ request: HTTPRequest, now: UnixSeconds) throws(APIError) -> AuthenticatedUser {
            let parts = (request.headers["Authorization"] ?? "").split(separator: " ").map(String.init)
            guard parts.count >= 2, parts[0] == "Test" else { throw APIError(status: 401, code: "unauthenticated", message: "no token") }
            return AuthenticatedUser(id: parts[1], scopes: Set(parts.dropFirst(3)), issuedAt: parts.count > 2 ? Int64(parts[2]) : nil)
        }
    }

    let clock = SettableClock()
    let revocations = MemoryRevocations()

    func app() -> Application {
        let authenticator = RevokingAuthenticator(IssuedAtAuthenticator(), revocations: revocations)
        let probe = RouteGroup("/api/documents", access: .user).route("GET", "") { context in
            .json(["user": .string(try context.requireUser().id)])
        }
        return Application(routes: [probe] + RevocationFlow(store: revocations).routes, authenticator: authenticator,
                           scopes: ScopeRequirements(JWTConfig.defaultScopes), clock: clock, logger: .discarding)
    }

    func send(_ app: Application, _ method: String, _ path: String, token: String, body: String? = nil) -> (status: Int, body: JSONValue) {
        var headers: HTTPHeaders = ["Authorization": "Test " + token]
        if body != nil { headers.add("Content-Type", "application/json") }
        let response = app.handle(HTTPRequest(method: method, path: path, query: "", headers: headers, body: Array((body ?? "").utf8),
                                              remoteAddress: "192.0.2.7"))
        return (response.status, (try? JSONParser().parse(response.body)) ?? .null)
    }

    func testARevokedUsersOlderTokensAreRefusedAndNewOnesWork() {
        let a = app()
        let now = clock.now()
        XCTAssertEqual(send(a, "GET", "/api/documents", token: "alice \(now - 60)").status, 200)
        let revoked = send(a, "POST", "/api/admin/revocations", token: "ops \(now - 5) presignd:admin", body: #"{"user":"alice","reason":"left"}"#)
        XCTAssertEqual(revoked.status, 200)
        XCTAssertEqual(revoked.body["cutoff"]?.stringValue, UTCDateTime(now + 1).iso8601, "the next whole second")
        XCTAssertEqual(revoked.body["revoked"]?["user"], "alice")
        XCTAssertEqual(revoked.body["effectiveWithinSeconds"], 1)

        let refused = send(a, "GET", "/api/documents", token: "alice \(now - 60)")
        XCTAssertEqual(refused.status, 401)
        XCTAssertEqual(refused.body["error"]?["message"], "the bearer token was refused: token issued before the user's access was revoked; sign in again")
        XCTAssertEqual(send(a, "GET", "/api/documents", token: "alice \(now)").status, 401, "issued in the second of the revocation")
        XCTAssertEqual(send(a, "GET", "/api/documents", token: "alice").status, 401, "a token that does not say when it was issued")
        XCTAssertEqual(send(a, "GET", "/api/documents", token: "alice \(now + 1)").status, 200, "a new sign-in")
        XCTAssertEqual(send(a, "GET", "/api/documents", token: "bob \(now - 60)").status, 200, "other users are unaffected")
        XCTAssertEqual(revocations.recorded.map(\.action), [.userRevoke])
        XCTAssertEqual(revocations.recorded.map(\.resource), ["user:alice"])
        XCTAssertEqual(revocations.recorded.map(\.actor), ["ops"])

        // A second revocation moves the cutoff on; an earlier one never moves it back.
        clock.advance(100)
        _ = send(a, "POST", "/api/admin/revocations", token: "ops \(now) presignd:admin", body: #"{"user":"alice"}"#)
        XCTAssertEqual(send(a, "GET", "/api/documents", token: "alice \(now + 1)").status, 401)
        XCTAssertEqual(try revocations.revoke(.user("alice"), cutoff: now, reason: nil,
                                              audit: AuditEntry(actor: "x", action: .userRevoke, resource: "user:alice", clientAddress: "", at: now)),
                       now + 101)
    }

    func testTheAdminRouteNeedsItsScopeAndGoodInput() {
        let a = app()
        let now = clock.now()
        let noScope = send(a, "POST", "/api/admin/revocations", token: "mallory \(now)", body: #"{"user":"alice"}"#)
        XCTAssertEqual(noScope.status, 403, "closed to every user unless PRESIGND_JWT_SCOPES_ADMIN says otherwise")
        XCTAssertEqual(noScope.body["error"]?["code"], "insufficient_scope")
        XCTAssertNil(revocations.cutoff(.user("alice")))
        let admin = "ops \(now) presignd:admin"
        for (body, code) in [(#"{}"#, "missing_field"), (#"{"user":"a","cdnKey":"K1"}"#, "missing_field"),
                             (#"{"cdnKey":"K 1"}"#, "invalid_field"), (#"{"user":""}"#, "invalid_field"),
                             (#"{"user":"a\u0000b"}"#, "invalid_user"), (#"{"user":7}"#, "invalid_field")] {
            let r = send(a, "POST", "/api/admin/revocations", token: admin, body: body)
            XCTAssertEqual(r.status, 400, body)
            XCTAssertEqual(r.body["error"]?["code"]?.stringValue, code, body)
        }
        XCTAssertEqual(send(a, "POST", "/api/admin/revocations", token: admin, body: #"{"cdnKey":"K2JCJMDEHXQW5F"}"#).body["revoked"]?["cdnKey"],
                       "K2JCJMDEHXQW5F")
        XCTAssertTrue(revocations.isRetired(cdnKey: "K2JCJMDEHXQW5F"))
        XCTAssertEqual(revocations.recorded.map(\.action), [.cdnKeyRetire])
    }
}
