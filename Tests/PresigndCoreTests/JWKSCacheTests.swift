import PresigndSupport
import PresigndJWT
import Synchronization
import XCTest

/// The JWKS refresh rules, driven by the clock, without a network.
final class JWKSCacheTests: XCTestCase {
    let setA = KeySet([TokenMinter.verificationKey(.rs256, keyID: "a")])
    let setAB = KeySet([TokenMinter.verificationKey(.rs256, keyID: "a"), TokenMinter.verificationKey(.es256, keyID: "b")])

    func testFirstUseFetchesAndFailuresRetrySoonWhileEmpty() {
        var cache = JWKSCache()
        XCTAssertEqual(cache.decide(keyID: "a", now: 1000), .fetch)
        XCTAssertEqual(cache.decide(keyID: "a", now: 1000), .useCache, "one fetch at a time")
        cache.fetchFailed(now: 1000)
        XCTAssertNil(cache.keys)
        XCTAssertEqual(cache.decide(keyID: "a", now: 1004), .useCache)
        XCTAssertEqual(cache.decide(keyID: "a", now: 1005), .fetch)
    }

    func testUnknownKidRefetchesAtMostOncePerMinute() {
        var cache = JWKSCache()
        XCTAssertEqual(cache.decide(keyID: "a", now: 1000), .fetch)
        cache.fetchSucceeded(setA, cacheControl: "max-age=3600", now: 1000)
        XCTAssertEqual(cache.decide(keyID: "a", now: 1001), .useCache)
        XCTAssertEqual(cache.decide(keyID: "b", now: 1059), .useCache)
        XCTAssertEqual(cache.decide(keyID: "b", now: 1060), .fetch)
        cache.fetchSucceeded(setAB, cacheControl: "max-age=3600", now: 1060)
        XCTAssertEqual(cache.decide(keyID: "b", now: 1061), .useCache)
        XCTAssertEqual(cache.decide(keyID: "forged", now: 1100), .useCache)
        XCTAssertEqual(cache.decide(keyID: "forged", now: 1120), .fetch)
    }

    func testExpiryFollowsCacheControlAndFailuresKeepTheLastGoodSet() {
        var cache = JWKSCache()
        _ = cache.decide(keyID: nil, now: 0)
        cache.fetchSucceeded(setA, cacheControl: "public, max-age=300, must-revalidate", now: 0)
        XCTAssertEqual(cache.freshUntil, 300)
        XCTAssertEqual(cache.decide(keyID: "a", now: 299), .useCache)
        XCTAssertEqual(cache.decide(keyID: "a", now: 300), .fetch)
        cache.fetchFailed(now: 300)
        XCTAssertEqual(cache.keys?.keys.count, 1, "provider down: the last good set stays")
        XCTAssertEqual(cache.decide(keyID: "a", now: 330), .useCache, "no hammering a provider that is down")
        XCTAssertEqual(cache.decide(keyID: "a", now: 360), .fetch)
    }

    func testLifetimeParsing() {
        let policy = JWKSRefreshPolicy()
        XCTAssertEqual(JWKSCache.lifetime(cacheControl: nil, policy: policy), 600)
        XCTAssertEqual(JWKSCache.lifetime(cacheControl: "max-age=7200", policy: policy), 7200)
        XCTAssertEqual(JWKSCache.lifetime(cacheControl: "max-age=5", policy: policy), 60)
        XCTAssertEqual(JWKSCache.lifetime(cacheControl: "max-age=99999999", policy: policy), 86_400)
        XCTAssertEqual(JWKSCache.lifetime(cacheControl: "no-cache", policy: policy), 60)
        XCTAssertEqual(JWKSCache.lifetime(cacheControl: "MAX-AGE=\"120\"", policy: policy), 120)
        XCTAssertEqual(JWKSCache.lifetime(cacheControl: "max-age=abc", policy: policy), 600)
    }

    /// The key source with a scripted fetch: rotation is picked up, an outage keeps serving.
    func testKeySourcePicksUpRotationAndSurvivesOutage() throws {
        let script = Mutex<(documents: [String], calls: Int, down: Bool)>(([jwks(["a"]), jwks(["a", "b"])], 0, false))
        let source = JWKSKeySource(url: "https://idp.example/jwks", fetch: { url, timeout in
            XCTAssertEqual(url, "https://idp.example/jwks")
            XCTAssertEqual(timeout, 3_000)
            return try script.withLock { state in
                state.calls += 1
                if state.down { throw URLError() }
                let body = state.documents.count > 1 ? state.documents.removeFirst() : state.documents[0]
                return (200, ["Cache-Control": "max-age=3600"], Array(body.utf8))
            }
        })
        let verifier = JWTVerifier(keys: KeySet([]), jwks: source, policy: ClaimsPolicy())
        XCTAssertEqual(try verifier.verify(TokenMinter.token(.rs256, kid: "a"), now: 1000).id, "user-1")
        let rotated = TokenMinter.token(.es256, kid: "b")
        XCTAssertRefused(.unknownKid) { try verifier.verify(rotated, now: 1030) }  // too soon to refetch
        XCTAssertEqual(try verifier.verify(rotated, now: 1060).id, "user-1")
        XCTAssertEqual(script.withLock { $0.calls }, 2)
        script.withLock { $0.down = true }
        XCTAssertRefused(.unknownKid) { try verifier.verify(TokenMinter.token(.rs256, kid: "c"), now: 1200) }
        XCTAssertEqual(try verifier.verify(rotated, now: 5000).id, "user-1", "expired set kept while the provider is down")
        XCTAssertEqual(script.withLock { $0.calls }, 4)
    }

    func testKeySourceWithNothingLoadedAnswersUnavailable() {
        let source = JWKSKeySource(url: "https://idp.example/jwks", fetch: { _, _ in (500, [:], []) })
        let verifier = JWTVerifier(keys: KeySet([]), jwks: source, policy: ClaimsPolicy())
        XCTAssertRefused(.keysUnavailable) { try verifier.verify(TokenMinter.token(.rs256, kid: "a"), now: 0) }
    }

    func testJWKSParserSkipsForeignKeysAndBindsAlgorithms() throws {
        let document = """
        {"keys":[
          {"kty":"RSA","use":"enc","kid":"enc","n":"AQAB","e":"AQAB"},
          {"kty":"OKP","crv":"X25519","kid":"x","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
          {"kty":"EC","crv":"P-256","kid":"bad","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5aw"},
          {"kty":"EC","crv":"P-256","kid":"ok","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}
        ]}
        """
        let result = try JWKSParser.parse(Array(document.utf8))
        XCTAssertEqual(result.keys.keys.map(\.keyID), ["ok"])
        XCTAssertEqual(result.keys.keys.map(\.algorithm), [.es256])
        XCTAssertEqual(result.skipped.count, 3)
        XCTAssertTrue(result.skipped[2].contains("not a point"), result.skipped[2])
        XCTAssertThrowsError(try JWKSParser.parse(Array(#"{"keys":[]}"#.utf8)))
        XCTAssertThrowsError(try JWKSParser.parse(Array(#"{"keys":{}}"#.utf8)))
    }

    func jwks(_ kids: [String]) -> String {
        // "a" is the RSA test key, "b" the P-256 one, as published in test-keys/jwks.json.
        let published = JOSEVectors.json("test-keys/jwks.json")["keys"]!.arrayValue!
        let keys = kids.map { kid -> JSONValue in
            var jwk = published.first { $0["kid"]?.stringValue == (kid == "a" ? "rsa2048" : "p256") }!.objectValue!
            jwk["kid"] = .string(kid)
            return .object(jwk)
        }
        return JSONValue.object(["keys": .array(keys)]).serialized()
    }
}

struct URLError: Error {}
