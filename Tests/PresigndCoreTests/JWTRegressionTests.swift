import PresigndSupport
import PresigndJWT
import PresigndCrypto
import XCTest

/// One named test per known attack on JWT verifiers; each must be refused with its reason.
final class JWTRegressionTests: XCTestCase {
    let rsa = TokenMinter.verificationKey(.rs256)
    let claims = #"{"sub":"user-1","exp":2000000000}"#

    func verifier(_ keys: [VerificationKey], policy: ClaimsPolicy = ClaimsPolicy()) -> JWTVerifier {
        JWTVerifier(keys: KeySet(keys), policy: policy)
    }

    func testRegressionAlgNoneIsRefused() {
        let v = verifier([rsa, TokenMinter.verificationKey(.hs256)])
        for spelling in ["none", "None", "NONE", "nOnE"] {
            let unsigned = TokenMinter.encode(#"{"alg":"\#(spelling)"}"#) + "." + TokenMinter.encode(claims) + "."
            XCTAssertRefused(.algNone) { try v.verify(unsigned, now: testNow) }
            let withJunk = unsigned + "AAAA"
            XCTAssertRefused(.algNone) { try v.verify(withJunk, now: testNow) }
        }
    }

    /// The classic confusion: the RSA public key (which is public) used as an HMAC secret.
    func testRegressionHS256SignedWithRSAPublicKeyIsRefused() {
        let pem = Array(JOSEVectors.publicPEM("rsa2048").utf8)
        let forged = TokenMinter.mint(header: #"{"alg":"HS256"}"#, claims: claims) { HMAC.authenticationCode(.sha256, key: pem, data: $0) }
        XCTAssertRefused(.noKeyForAlg) { try verifier([rsa]).verify(forged, now: testNow) }
        let rsaWithKid = try! VerificationKey.publicKey(pem: JOSEVectors.publicPEM("rsa2048"), algorithm: .rs256, keyID: "k1")
        let forgedWithKid = TokenMinter.mint(header: #"{"alg":"HS256","kid":"k1"}"#, claims: claims) { HMAC.authenticationCode(.sha256, key: pem, data: $0) }
        XCTAssertRefused(.algMismatch) { try verifier([rsaWithKid]).verify(forgedWithKid, now: testNow) }
        // Nor can an RSA key be loaded for HMAC in the first place.
        XCTAssertThrowsError(try VerificationKey.publicKey(pem: JOSEVectors.publicPEM("rsa2048"), algorithm: .hs256))
    }

    /// Within one family too: a key bound to RS256 does not verify PS256 or RS512.
    func testRegressionAlgCannotSwitchWithinRSAFamily() {
        for other in [JWSAlgorithm.ps256, .rs512] {
            XCTAssertRefused(.noKeyForAlg) { try verifier([rsa]).verify(TokenMinter.token(other), now: testNow) }
        }
    }

    func testRegressionES256WithDERInsteadOfRawSignatureIsRefused() {
        let key = TokenMinter.verificationKey(.es256)
        let der = TokenMinter.mint(header: #"{"alg":"ES256"}"#, claims: claims) { try! TokenMinter.privateKey(.es256).sign($0, digest: .sha256) }
        XCTAssertRefused(.badSignature) { try verifier([key]).verify(der, now: testNow) }
        // The same signature converted to raw r||s verifies: only the encoding was wrong.
        let parts = der.split(separator: ".")
        let raw = ECDSASignature.raw(fromDER: Base64.decodeURL(String(parts[2]))!, coordinateSize: 32)!
        let fixed = parts[0] + "." + parts[1] + "." + Base64.encodeURL(raw)
        XCTAssertEqual(try verifier([key]).verify(String(fixed), now: testNow).id, "user-1")
    }

    /// CVE-2022-21449 ("psychic signatures"): r = s = 0 must never verify.
    func testRegressionES256ZeroSignatureIsRefused() {
        let zero = TokenMinter.mint(header: #"{"alg":"ES256"}"#, claims: claims) { _ in [UInt8](repeating: 0, count: 64) }
        XCTAssertRefused(.badSignature) { try verifier([TokenMinter.verificationKey(.es256)]).verify(zero, now: testNow) }
    }

    func testRegressionKidPointingNowhereIsRefused() {
        // A kid-less key is present and would verify the signature: it must not be used as a fallback.
        let token = TokenMinter.token(.rs256, kid: "nowhere")
        XCTAssertRefused(.unknownKid) { try verifier([rsa]).verify(token, now: testNow) }
        let named = TokenMinter.verificationKey(.rs256, keyID: "known")
        XCTAssertRefused(.unknownKid) { try verifier([named]).verify(token, now: testNow) }
        XCTAssertEqual(try verifier([named]).verify(TokenMinter.token(.rs256, kid: "known"), now: testNow).id, "user-1")
    }

    func testRegressionExpiredIsRefused() {
        let token = TokenMinter.token(.rs256, claims: #"{"sub":"u","exp":\#(testNow - 61)}"#)
        XCTAssertRefused(.expired) { try verifier([rsa]).verify(token, now: testNow) }
    }

    func testRegressionNotYetValidIsRefused() {
        let token = TokenMinter.token(.rs256, claims: #"{"sub":"u","exp":2000000000,"nbf":\#(testNow + 61)}"#)
        XCTAssertRefused(.notYetValid) { try verifier([rsa]).verify(token, now: testNow) }
    }

    func testRegressionWrongAudienceIsRefused() {
        let policy = ClaimsPolicy(audiences: ["presignd"])
        for aud in [#""other""#, #"["a","b"]"#, "42", "[]"] {
            let token = TokenMinter.token(.rs256, claims: #"{"sub":"u","exp":2000000000,"aud":\#(aud)}"#)
            XCTAssertRefused(.wrongAudience) { try verifier([rsa], policy: policy).verify(token, now: testNow) }
        }
        let missing = TokenMinter.token(.rs256)
        XCTAssertRefused(.wrongAudience) { try verifier([rsa], policy: policy).verify(missing, now: testNow) }
    }

    func testRegressionWrongIssuerIsRefused() {
        let policy = ClaimsPolicy(issuers: ["https://issuer.example/"])
        for iss in [#""https://issuer.example""#, #""https://evil.example/""#, #"["https://issuer.example/"]"#] {
            let token = TokenMinter.token(.rs256, claims: #"{"sub":"u","exp":2000000000,"iss":\#(iss)}"#)
            XCTAssertRefused(.wrongIssuer) { try verifier([rsa], policy: policy).verify(token, now: testNow) }
        }
    }

    func testRegressionPayloadSwappedBetweenTwoValidTokensIsRefused() {
        let alice = TokenMinter.token(.rs256, claims: #"{"sub":"alice","exp":2000000000}"#).split(separator: ".")
        let bob = TokenMinter.token(.rs256, claims: #"{"sub":"bob","exp":2000000000}"#).split(separator: ".")
        let swapped = "\(alice[0]).\(bob[1]).\(alice[2])"
        XCTAssertRefused(.badSignature) { try verifier([rsa]).verify(swapped, now: testNow) }
        let hmac = TokenMinter.verificationKey(.hs256)
        let a = TokenMinter.token(.hs256, claims: #"{"sub":"alice","exp":2000000000}"#).split(separator: ".")
        let b = TokenMinter.token(.hs256, claims: #"{"sub":"bob","exp":2000000000}"#).split(separator: ".")
        XCTAssertRefused(.badSignature) { try verifier([hmac]).verify("\(a[0]).\(b[1]).\(a[2])", now: testNow) }
    }

    func testRegressionOversizedTokenIsRefused() {
        let padding = String(repeating: "x", count: 8_200)
        let token = TokenMinter.token(.hs256, claims: #"{"sub":"u","exp":2000000000,"pad":"\#(padding)"}"#)
        XCTAssertRefused(.tooLarge) { try verifier([TokenMinter.verificationKey(.hs256)]).verify(token, now: testNow) }
    }

    func testRegressionDuplicateHeaderFieldIsRefused() {
        let token = TokenMinter.mint(header: #"{"alg":"HS256","alg":"none"}"#, claims: claims, sign: TokenMinter.signer(.hs256))
        XCTAssertRefused(.headerInvalid) { try verifier([TokenMinter.verificationKey(.hs256)]).verify(token, now: testNow) }
    }

    /// The same field spelled with an escape is still the same field, and the 8 KiB limit is exact.
    func testRegressionEscapedDuplicateAndLengthBoundary() {
        let v = verifier([TokenMinter.verificationKey(.hs256)])
        let escaped = TokenMinter.mint(header: #"{"alg":"HS256","\u0061lg":"none"}"#, claims: claims, sign: TokenMinter.signer(.hs256))
        XCTAssertRefused(.headerInvalid) { try v.verify(escaped, now: testNow) }
        let escapedClaim = TokenMinter.mint(header: #"{"alg":"HS256"}"#, claims: #"{"sub":"alice","s\u0075b":"admin","exp":2000000000}"#,
                                            sign: TokenMinter.signer(.hs256))
        XCTAssertRefused(.claimsInvalid) { try v.verify(escapedClaim, now: testNow) }

        // Grow the claims until the token is exactly 8192 bytes, then one byte more.
        func token(padding: Int) -> String {
            TokenMinter.token(.hs256, claims: #"{"sub":"u","exp":2000000000,"pad":"\#(String(repeating: "x", count: padding))"}"#)
        }
        var padding = 6_000
        while token(padding: padding).utf8.count < CompactJWS.maxLength { padding += 1 }
        let exact = token(padding: padding)
        XCTAssertEqual(exact.utf8.count, CompactJWS.maxLength)
        XCTAssertEqual(try v.verify(exact, now: testNow).id, "u", "8192 bytes is still accepted")
        XCTAssertRefused(.tooLarge) { try v.verify(exact + "A", now: testNow) }
    }

    /// A header that is not one JSON object of unique fields, in every shape that reached the parser.
    func testRegressionNonObjectHeadersAreRefused() {
        let v = verifier([TokenMinter.verificationKey(.hs256)])
        let nested = String(repeating: #"{"a":"#, count: 9) + "1" + String(repeating: "}", count: 9)
        for header in ["not json", "null", "7", #""HS256""#, #"{"alg":"HS256"}x"#, #"{"alg":"HS256","x":\#(nested)}"#] {
            let token = TokenMinter.mint(header: header, claims: claims, sign: TokenMinter.signer(.hs256))
            XCTAssertRefused(.headerInvalid) { try v.verify(token, now: testNow) }
        }
        let invalidUTF8 = Base64.encodeURL([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D])  // {"\xFF":1}
        XCTAssertRefused(.headerInvalid) { try v.verify(invalidUTF8 + "." + TokenMinter.encode(claims) + ".AAAA", now: testNow) }
        XCTAssertRefused(.malformed) { try v.verify("." + TokenMinter.encode(claims) + ".AAAA", now: testNow) }
    }

    func testRegressionDuplicateClaimIsRefused() {
        let token = TokenMinter.mint(header: #"{"alg":"HS256"}"#, claims: #"{"sub":"alice","sub":"admin","exp":2000000000}"#,
                                     sign: TokenMinter.signer(.hs256))
        XCTAssertRefused(.claimsInvalid) { try verifier([TokenMinter.verificationKey(.hs256)]).verify(token, now: testNow) }
    }

    func testRegressionMissingOrMistypedHeaderFieldsAreRefused() {
        let v = verifier([TokenMinter.verificationKey(.hs256)])
        let cases: [(String, JWTRefusal)] = [
            (#"{"typ":"JWT"}"#, .missingAlg),
            (#"{"alg":256}"#, .unsupportedAlg),
            (#"{"alg":"HS256","kid":7}"#, .badKid),
            (#"{"alg":"HS256","crit":["exp"],"exp":1}"#, .unsupportedCrit),
            (#"{"alg":"ES512"}"#, .unsupportedAlg),
            (#"["alg","HS256"]"#, .headerInvalid),
            (#"{"alg":"HS256""#, .headerInvalid),
        ]
        for (header, reason) in cases {
            let token = TokenMinter.mint(header: header, claims: claims, sign: TokenMinter.signer(.hs256))
            XCTAssertRefused(reason) { try v.verify(token, now: testNow) }
        }
    }

    func testRegressionBadBase64urlIsRefused() {
        let good = TokenMinter.token(.hs256)
        let v = verifier([TokenMinter.verificationKey(.hs256)])
        for bad in [good + "=", good.replacingOccurrences(of: "-", with: "+") + "+", " " + good, good + ".x", "a.b",
                    good.replacingOccurrences(of: ".", with: ". ")] {
            XCTAssertRefused(.malformed) { try v.verify(bad, now: testNow) }
        }
        // Non-canonical trailing bits: the last character of a 2-byte remainder with low bits set.
        let parts = good.split(separator: ".")
        let nonCanonical = "\(parts[0]).\(parts[1]).\(parts[2].dropLast())" + (parts[2].last == "B" ? "C" : "B")
        XCTAssertThrowsError(try v.verify(nonCanonical, now: testNow))
    }

    func testRegressionNonJSONClaimsAreRefused() {
        let token = TokenMinter.mint(header: #"{"alg":"HS256"}"#, claims: "not json", sign: TokenMinter.signer(.hs256))
        XCTAssertRefused(.claimsInvalid) { try verifier([TokenMinter.verificationKey(.hs256)]).verify(token, now: testNow) }
    }

    /// Issue 13, defect 6: a `sub` of "\u0085" (C1) or with a bidi override or zero-width
    /// character was accepted; such an id could impersonate another in the audit log.
    func testRegressionSubWithC1OrInvisibleCharactersIsRefused() {
        let v = verifier([TokenMinter.verificationKey(.hs256)])
        for scalar in ["0085", "009B", "202E", "2067", "200B", "200E", "2060", "FEFF", "0000", "001B", "007F"] {
            let token = TokenMinter.token(.hs256, claims: #"{"sub":"ad\u\#(scalar)min","exp":2000000000}"#)
            XCTAssertRefused(.missingUser) { try v.verify(token, now: testNow) }
        }
        let plain = TokenMinter.token(.hs256, claims: #"{"sub":"zoë|名前","exp":2000000000}"#)
        XCTAssertEqual(try v.verify(plain, now: testNow).id, "zoë|名前")
    }

    /// Issue 13, defect 7: `b64: false` without `crit` (RFC 7797 requires `crit`) was accepted and
    /// the payload read as base64url anyway. No unencoded payload is supported, so any `b64` is refused.
    func testRegressionB64HeaderIsRefused() {
        let v = verifier([TokenMinter.verificationKey(.hs256)])
        for header in [#"{"alg":"HS256","b64":false}"#, #"{"alg":"HS256","b64":true}"#, #"{"alg":"HS256","b64":"no"}"#] {
            let token = TokenMinter.mint(header: header, claims: claims, sign: TokenMinter.signer(.hs256))
            XCTAssertRefused(.unsupportedB64) { try v.verify(token, now: testNow) }
        }
        let withCrit = TokenMinter.mint(header: #"{"alg":"HS256","b64":false,"crit":["b64"]}"#, claims: claims, sign: TokenMinter.signer(.hs256))
        XCTAssertRefused(.unsupportedCrit) { try v.verify(withCrit, now: testNow) }
    }

    /// Issue 13, defect 7: `exp` = 2^63−1 is a token that never expires. With a maximum lifetime
    /// set it is refused; off (the default) it is accepted, as before.
    func testRegressionNeverExpiringTokenIsRefusedUnderMaxLifetime() {
        let hs = TokenMinter.verificationKey(.hs256)
        let forever = TokenMinter.token(.hs256, claims: #"{"sub":"u","exp":9223372036854775807}"#)
        let policy = ClaimsPolicy(leeway: 60, maxLifetime: 3_600)
        XCTAssertRefused(.lifetimeTooLong) { try verifier([hs], policy: policy).verify(forever, now: testNow) }
        XCTAssertEqual(try verifier([hs]).verify(forever, now: testNow).id, "u", "off by default")
        let hour = TokenMinter.token(.hs256, claims: #"{"sub":"u","exp":\#(testNow + 3_660)}"#)
        XCTAssertEqual(try verifier([hs], policy: policy).verify(hour, now: testNow).id, "u", "an hour plus the leeway is fine")
        let tooLong = TokenMinter.token(.hs256, claims: #"{"sub":"u","exp":\#(testNow + 3_661)}"#)
        XCTAssertRefused(.lifetimeTooLong) { try verifier([hs], policy: policy).verify(tooLong, now: testNow) }
        let noExp = TokenMinter.token(.hs256, claims: #"{"sub":"u"}"#)
        XCTAssertRefused(.missingExp) {
            try verifier([hs], policy: ClaimsPolicy(requireExpiry: false, maxLifetime: 3_600)).verify(noExp, now: testNow)
        }
    }

    func testMaxLifetimeSettingIsOffByDefaultAndChecked() throws {
        let secret = String(repeating: "s", count: 32)
        XCTAssertNil(try JWTConfig.load(Environment(["PRESIGND_JWT_HS256_SECRET": secret])).policy.maxLifetime)
        XCTAssertEqual(try JWTConfig.load(Environment(["PRESIGND_JWT_HS256_SECRET": secret, "PRESIGND_JWT_MAX_LIFETIME": "86400"])).policy.maxLifetime, 86_400)
        for bad in ["30", "-1", "forever", "2592001"] {
            XCTAssertThrowsError(try JWTConfig.load(Environment(["PRESIGND_JWT_HS256_SECRET": secret, "PRESIGND_JWT_MAX_LIFETIME": bad])), bad)
        }
    }

    /// Issue 13, defect 7, decided: an ECDSA signature (r, s) has a twin (r, n − s) that verifies
    /// too. It is accepted: no JOSE specification asks for low S, and about half of the ES256
    /// signatures OpenSSL, Java or Go make have a high S (488 of 1,000 measured), so refusing it
    /// would refuse half of every identity provider's tokens. The twin carries the same claims,
    /// and presignd never keys anything on a token's spelling (README, JWT authentication).
    func testES256HighSTwinIsAcceptedAsTheSameTokenByDesign() {
        let key = TokenMinter.verificationKey(.es256)
        let token = TokenMinter.token(.es256)
        let parts = token.split(separator: ".")
        let signature = Base64.decodeURL(String(parts[2]))!
        let order: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                              0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51]
        var twinS = [UInt8](repeating: 0, count: 32)
        var borrow = 0
        for i in (0..<32).reversed() {
            let difference = Int(order[i]) - Int(signature[32 + i]) - borrow
            twinS[i] = UInt8((difference + 256) % 256)
            borrow = difference < 0 ? 1 : 0
        }
        let twin = "\(parts[0]).\(parts[1])." + Base64.encodeURL(Array(signature[..<32]) + twinS)
        XCTAssertNotEqual(twin, token)
        XCTAssertEqual(try verifier([key]).verify(token, now: testNow), try verifier([key]).verify(twin, now: testNow))
    }

    /// A key embedded in the header (`jwk`, `jku`, `x5c`) is never trusted.
    func testRegressionEmbeddedHeaderKeyIsIgnored() {
        let header = #"{"alg":"RS256","jwk":{"kty":"RSA","n":"AQAB","e":"AQAB"},"jku":"https://evil.example/jwks"}"#
        let forged = TokenMinter.mint(header: header, claims: claims) { _ in [UInt8](repeating: 1, count: 256) }
        XCTAssertRefused(.badSignature) { try verifier([rsa]).verify(forged, now: testNow) }
    }

    func testRegressionWeakKeysAreRefusedAtLoad() {
        XCTAssertThrowsError(try VerificationKey.publicKey(pem: JOSEVectors.publicPEM("rsa1024"), algorithm: .rs256))
        XCTAssertThrowsError(try VerificationKey.hmac(Array(repeating: 7, count: 31), algorithm: .hs256))
        XCTAssertThrowsError(try VerificationKey.hmac(Array(repeating: 7, count: 63), algorithm: .hs512))
        XCTAssertThrowsError(try VerificationKey.publicKey(pem: JOSEVectors.publicPEM("p384"), algorithm: .es256))
        XCTAssertThrowsError(try VerificationKey.publicKey(pem: JOSEVectors.publicPEM("ed25519"), algorithm: .es256))
    }

    /// Regression: a VerificationKey's default description listed an HMAC secret's bytes, so
    /// printing a key, a KeySet or a JWTConfig would have logged the secret.
    func testRegressionKeyDescriptionsCarryNoSecret() throws {
        let secret = Array("an-hs256-secret-of-at-least-32-bytes!".utf8)
        let hmac = try VerificationKey.hmac(secret, algorithm: .hs256, keyID: "k1")
        XCTAssertEqual("\(hmac)", #"VerificationKey(HS256, kid: "k1", secret: ******)"#)
        let printed = "\(KeySet([hmac, rsa]))" + String(reflecting: KeySet([hmac]))
        XCTAssertFalse(printed.contains(secret.map(String.init).joined(separator: ", ")), printed)
        XCTAssertFalse(printed.contains("an-hs256-secret"), printed)
        XCTAssertTrue("\(rsa)".hasPrefix("VerificationKey(RS256, kid: none, 2048-bit RSA public key"), "\(rsa)")
    }
}
