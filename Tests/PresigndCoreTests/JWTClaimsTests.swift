import PresigndSupport
import PresigndHTTP
import PresigndJWT
import XCTest

/// Claims checked against a fixed clock (now = 1 700 000 000), with the default 60 s leeway.
final class JWTClaimsTests: XCTestCase {
    func validate(_ json: String, _ policy: ClaimsPolicy = ClaimsPolicy()) throws -> AuthenticatedUser {
        try policy.validate(try JSONParser().parse(json).objectValue!, now: testNow)
    }

    func testExpiryHonoursLeewayOnBothSides() throws {
        XCTAssertEqual(try validate(#"{"sub":"u","exp":\#(testNow - 59)}"#).id, "u")
        XCTAssertRefused(.expired) { try self.validate(#"{"sub":"u","exp":\#(testNow - 60)}"#) }
        XCTAssertRefused(.expired) { try self.validate(#"{"sub":"u","exp":\#(testNow)}"#, ClaimsPolicy(leeway: 0)) }
        XCTAssertEqual(try validate(#"{"sub":"u","exp":\#(testNow + 1)}"#, ClaimsPolicy(leeway: 0)).id, "u")
    }

    func testExpiryIsRequiredUnlessDisabled() throws {
        XCTAssertRefused(.missingExp) { try self.validate(#"{"sub":"u"}"#) }
        XCTAssertEqual(try validate(#"{"sub":"u"}"#, ClaimsPolicy(requireExpiry: false)).id, "u")
    }

    func testTimeClaimsMustBeNumbers() throws {
        XCTAssertRefused(.badTimeClaim) { try self.validate(#"{"sub":"u","exp":"2000000000"}"#) }
        XCTAssertRefused(.badTimeClaim) { try self.validate(#"{"sub":"u","exp":2000000000,"nbf":null}"#) }
        XCTAssertEqual(try validate(#"{"sub":"u","exp":2000000000.5}"#).id, "u")  // NumericDate may be fractional
    }

    func testNotBeforeAndIssuedAt() throws {
        XCTAssertEqual(try validate(#"{"sub":"u","exp":2000000000,"nbf":\#(testNow + 60)}"#).id, "u")
        XCTAssertRefused(.notYetValid) { try self.validate(#"{"sub":"u","exp":2000000000,"nbf":\#(testNow + 61)}"#) }
        XCTAssertEqual(try validate(#"{"sub":"u","exp":2000000000,"iat":\#(testNow + 60)}"#).id, "u")
        XCTAssertRefused(.issuedInFuture) { try self.validate(#"{"sub":"u","exp":2000000000,"iat":\#(testNow + 61)}"#) }
    }

    func testAudienceAsStringOrArray() throws {
        let policy = ClaimsPolicy(audiences: ["api", "presignd"])
        XCTAssertEqual(try validate(#"{"sub":"u","exp":2000000000,"aud":"presignd"}"#, policy).id, "u")
        XCTAssertEqual(try validate(#"{"sub":"u","exp":2000000000,"aud":["x","api"]}"#, policy).id, "u")
        // Unconfigured: aud is not checked.
        XCTAssertEqual(try validate(#"{"sub":"u","exp":2000000000,"aud":"anything"}"#).id, "u")
    }

    func testIssuer() throws {
        let policy = ClaimsPolicy(issuers: ["https://a.example/"])
        XCTAssertEqual(try validate(#"{"sub":"u","exp":2000000000,"iss":"https://a.example/"}"#, policy).id, "u")
        XCTAssertRefused(.wrongIssuer) { try self.validate(#"{"sub":"u","exp":2000000000}"#, policy) }
    }

    func testUserClaimIsConfigurableAndMustBeUsable() throws {
        let email = ClaimsPolicy(userClaim: "email")
        XCTAssertEqual(try validate(#"{"sub":"u","email":"a@b.example","exp":2000000000}"#, email).id, "a@b.example")
        let nested = ClaimsPolicy(userClaim: "app.user_id")
        XCTAssertEqual(try validate(#"{"app":{"user_id":42},"exp":2000000000}"#, nested).id, "42")
        let namespaced = ClaimsPolicy(userClaim: "https://example.com/uid")
        XCTAssertEqual(try validate(#"{"https://example.com/uid":"x","exp":2000000000}"#, namespaced).id, "x")
        for bad in [#""""#, "null", "true", #"["u"]"#, #""a\u0000b""#, #""\#(String(repeating: "a", count: 257))""#] {
            XCTAssertRefused(.missingUser) { try self.validate(#"{"sub":\#(bad),"exp":2000000000}"#) }
        }
        XCTAssertRefused(.missingUser) { try self.validate(#"{"exp":2000000000}"#) }
    }

    func testScopesFromTheUsualClaims() throws {
        let user = try validate(#"{"sub":"u","exp":2000000000,"scope":"read write","scp":["a"],"permissions":["upload:create"],"roles":["admin"],"other":["x"]}"#)
        XCTAssertEqual(user.scopes, ["read", "write", "a", "upload:create", "admin"])
        let keycloak = ClaimsPolicy(scopeClaims: ["realm_access.roles"])
        XCTAssertEqual(try validate(#"{"sub":"u","exp":2000000000,"realm_access":{"roles":["uploader"]},"scope":"x"}"#, keycloak).scopes, ["uploader"])
    }
}
