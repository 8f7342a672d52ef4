import PresigndSupport
import PresigndJWT
import XCTest

/// The published JWS examples verify, and fail when any byte of them changes.
final class JWTVectorTests: XCTestCase {
    struct Example {
        let name: String
        let key: VerificationKey
        let jws: String
    }

    func examples(_ file: String) -> [Example] {
        JOSEVectors.json(file)["examples"]!.arrayValue!.map { entry in
            let name = entry["name"]!.stringValue!
            let key = try! JWKSParser.parseKey(entry["jwk"]!.withAlg(entry["alg"]!.stringValue!))!
            return Example(name: name, key: key, jws: entry["jws"]!.stringValue!)
        }
    }

    func testRFC7515AppendixAExamplesVerify() throws {
        let vectors = examples("rfc7515-appendix-a.json")
        XCTAssertEqual(vectors.map(\.key.algorithm), [.hs256, .rs256, .es256])
        let exp = JOSEVectors.json("rfc7515-appendix-a.json")["payload_claims_exp"]!.int64Value!
        for example in vectors {
            let verifier = JWTVerifier(keys: KeySet([example.key]), policy: ClaimsPolicy(userClaim: "iss"))
            let user = try verifier.verify(example.jws, now: exp - 100)
            XCTAssertEqual(user.id, "joe", example.name)
            XCTAssertThrowsError(try verifier.verify(example.jws, now: exp + 100), example.name) { error in
                XCTAssertEqual(error as? JWTRefusal, .expired, example.name)
            }
        }
    }

    func testRFC8037Ed25519ExampleVerifies() throws {
        let example = examples("rfc8037-appendix-a.json")[0]
        let jws = try CompactJWS.parse(example.jws)
        XCTAssertEqual(jws.algorithm, .edDSA)
        XCTAssertEqual(String(decoding: jws.payload, as: UTF8.self), "Example of Ed25519 signing")
        XCTAssertNoThrow(try JWTVerifier(keys: KeySet([example.key]), policy: ClaimsPolicy()).verifySignature(jws, now: 0))
    }

    /// RFC 9864 names the same algorithm "Ed25519"; both spellings verify with an Ed25519 key.
    func testFullySpecifiedEd25519NameIsAccepted() throws {
        let verifier = JWTVerifier(keys: KeySet([TokenMinter.verificationKey(.edDSA)]), policy: ClaimsPolicy())
        let token = TokenMinter.mint(header: #"{"alg":"Ed25519"}"#, claims: #"{"sub":"u","exp":2000000000}"#,
                                     sign: TokenMinter.signer(.edDSA))
        XCTAssertEqual(try verifier.verify(token, now: testNow).id, "u")
    }

    /// Changing any single character of the signature or payload breaks every example.
    func testEveryExampleFailsWithOneCharacterChanged() {
        for example in examples("rfc7515-appendix-a.json") + examples("rfc8037-appendix-a.json") {
            let verifier = JWTVerifier(keys: KeySet([example.key]), policy: ClaimsPolicy())
            let chars = Array(example.jws)
            let lastDot = chars.lastIndex(of: ".")!
            for index in [lastDot - 3, lastDot + 2, chars.count / 2] {
                var changed = chars
                changed[index] = changed[index] == "A" ? "B" : "A"
                let token = String(changed)
                do {
                    try verifier.verifySignature(try CompactJWS.parse(token), now: 0)
                    XCTFail("\(example.name): changed at \(index) still verified")
                } catch {
                    XCTAssertTrue([.badSignature, .malformed, .headerInvalid].contains(error), "\(example.name): \(error)")
                }
            }
        }
    }

    func testEveryAlgorithmRoundTripsWithLibcryptoMintedTokens() throws {
        for algorithm in JWSAlgorithm.allCases {
            let verifier = JWTVerifier(keys: KeySet([TokenMinter.verificationKey(algorithm)]), policy: ClaimsPolicy())
            let token = TokenMinter.token(algorithm)
            XCTAssertEqual(try verifier.verify(token, now: testNow).id, "user-1", algorithm.rawValue)
            var bytes = Array(token.utf8)
            let target = bytes.count - 5
            bytes[target] = bytes[target] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            XCTAssertThrowsError(try verifier.verify(String(decoding: bytes, as: UTF8.self), now: testNow), algorithm.rawValue)
        }
    }
}

extension JSONValue {
    /// The same JWK with `alg` set, so each RFC key is bound to its example's algorithm.
    func withAlg(_ alg: String) -> JSONValue {
        guard var object = objectValue else { return self }
        object["alg"] = .string(alg)
        return .object(object)
    }
}
