import XCTest
@testable import PresigndSupport
@testable import PresigndJWT
@testable import PresigndSigning
import PresigndCrypto

/// CloudFront cookie verification against the botocore cookie vectors of `public.json`
/// (custom policy with wildcard, IpAddress and DateGreaterThan; canned policy), and every
/// refusal CloudFront makes, each a named case.
final class CloudFrontVerifierTests: XCTestCase {
    static var vectorKey: AsymmetricKey { try! AsymmetricKey.publicKey(pem: CloudFrontSignerTests.rsaPublicPEM) }
    let verifier = CloudFrontVerifier(keys: ["K2JCJMDEHXQW5F": CloudFrontVerifierTests.vectorKey])
    /// Inside both vectors' validity: after DateGreaterThan (1773489600), before DateLessThan (1773532800).
    let during: UnixSeconds = 1_773_500_000

    func vectorCookies(_ id: String) -> [String] {
        let cookies = SigningVectors.cases("cloudfront_signed_cookies").first { $0["id"]?.stringValue == id }!["outputs"]!["cookies"]!
        return [cookies.objectValue!.members.map { "\($0.key)=\($0.value.stringValue!)" }.joined(separator: "; ")]
    }

    func verify(_ cookies: [String], _ url: String, ip: String = "192.0.2.44", at now: UnixSeconds? = nil) -> Result<VerifiedCloudFrontPolicy, CloudFrontRefusal> {
        verifier.verify(cookieHeaders: cookies, url: url, clientAddress: ip, now: now ?? during)
    }

    func testCustomPolicyVectorIsAcceptedForMatchingURLsOnly() throws {
        let cookies = vectorCookies("cf-cookies-custom-wildcard")
        let ok = try verify(cookies, "https://d111111abcdef8.cloudfront.net/private/reports/q1.pdf").get()
        XCTAssertEqual(ok.resource, "https://d111111abcdef8.cloudfront.net/private/*")
        XCTAssertEqual(ok.dateLessThan, 1_773_532_800)
        XCTAssertEqual(verify(cookies, "https://d111111abcdef8.cloudfront.net/public/a.jpg"), .failure(.wrongResource))
        XCTAssertEqual(verify(cookies, "https://other.cloudfront.net/private/a.jpg"), .failure(.wrongResource))
        XCTAssertEqual(verify(cookies, "https://d111111abcdef8.cloudfront.net/private/a", ip: "198.51.100.7"), .failure(.wrongIPAddress))
        XCTAssertEqual(verify(cookies, "https://d111111abcdef8.cloudfront.net/private/a", at: 1_773_532_800), .failure(.expired))
        XCTAssertEqual(verify(cookies, "https://d111111abcdef8.cloudfront.net/private/a", at: 1_773_489_600), .failure(.notYetValid))
    }

    func testCannedPolicyVectorIsAcceptedForItsOneURL() {
        let cookies = vectorCookies("cf-cookies-canned")
        XCTAssertNoThrow(try verify(cookies, "https://d111111abcdef8.cloudfront.net/images/photo.jpg").get())
        XCTAssertEqual(verify(cookies, "https://d111111abcdef8.cloudfront.net/images/other.jpg"), .failure(.badSignature),
                       "a canned policy is rebuilt from the URL, so another URL's signature does not verify")
        XCTAssertEqual(verify(cookies, "https://d111111abcdef8.cloudfront.net/images/photo.jpg", at: 1_773_532_801), .failure(.expired))
    }

    func testForgedTruncatedAndWrongKeyCookiesAreRefused() {
        let good = vectorCookies("cf-cookies-custom-wildcard")[0]
        let url = "https://d111111abcdef8.cloudfront.net/private/a"
        func tampered(_ name: String, _ change: (String) -> String) -> [String] {
            [good.split(separator: ";").map { pair -> String in
                let trimmed = pair.trimmingSpaces()
                guard trimmed.hasPrefix(name + "=") else { return String(trimmed) }
                return name + "=" + change(String(trimmed.dropFirst(name.count + 1)))
            }.joined(separator: "; ")]
        }
        XCTAssertEqual(verify(tampered("CloudFront-Signature") { String($0.dropLast(12)) }, url), .failure(.badSignature), "truncated")
        XCTAssertEqual(verify(tampered("CloudFront-Signature") { "A" + $0.dropFirst() }, url), .failure(.badSignature), "forged")
        XCTAssertEqual(verify(tampered("CloudFront-Signature") { $0 + "!" }, url), .failure(.malformed("CloudFront-Signature")))
        // A policy widened to every path: its signature no longer matches.
        let widened = CloudFrontSigner.base64ForTests(Array(#"{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/*","Condition":{"DateLessThan":{"AWS:EpochTime":1773532800}}}]}"#.utf8))
        XCTAssertEqual(verify(tampered("CloudFront-Policy") { _ in widened }, url), .failure(.badSignature))
        XCTAssertEqual(verify(tampered("CloudFront-Key-Pair-Id") { _ in "KOTHERKEY" }, url), .failure(.unknownKey))
        XCTAssertEqual(verify(tampered("CloudFront-Policy") { _ in "%%%" }, url), .failure(.malformed("CloudFront-Policy")))
        XCTAssertEqual(verify([good + "; CloudFront-Hash-Algorithm=MD5"], url), .failure(.unsupportedHashAlgorithm))
        XCTAssertEqual(verify([good + "; CloudFront-Hash-Algorithm=SHA256"], url), .failure(.badSignature), "signed with SHA-1")
        XCTAssertEqual(verify([good, good], url), .failure(.malformed("CloudFront-Policy cookie sent twice")))
        XCTAssertEqual(verify(["CloudFront-Key-Pair-Id=K2JCJMDEHXQW5F"], url), .failure(.missingCookies))
        XCTAssertEqual(verify([], url), .failure(.missingCookies))

        // Another key signing the same policy: refused by the vector key, accepted once trusted (a rotation).
        let other = try! AsymmetricKey.privateKey(pem: Self.ecPEM)
        let signer = try! CloudFrontSigner(keyPairID: "K2JCJMDEHXQW5F", privateKeyPEM: Self.ecPEM, hashAlgorithm: .sha256)
        let cookies = try! signer.cookies(policy: .custom(resource: "https://d111111abcdef8.cloudfront.net/private/*", dateLessThan: 1_773_532_800))
        let header = [cookies.map { "\($0.name)=\($0.value)" }.joined(separator: "; ")]
        XCTAssertEqual(verify(header, url), .failure(.badSignature), "the right id with the wrong key")
        let rotated = CloudFrontVerifier(keys: ["K2JCJMDEHXQW5F": other, "KOLD": Self.vectorKey])
        XCTAssertNoThrow(try rotated.verify(cookieHeaders: header, url: url, clientAddress: "192.0.2.1", now: during).get())
        XCTAssertNoThrow(try rotated.verify(cookieHeaders: [good.replacingKeyID("KOLD")], url: url, clientAddress: "192.0.2.1", now: during).get(),
                         "the old key's cookies keep working during the rotation")
    }

    func testPolicyShapesCloudFrontRefuses() {
        XCTAssertNil(CloudFrontVerifier.parsePolicyForTests(#"{"Statement":[]}"#))
        XCTAssertNil(CloudFrontVerifier.parsePolicyForTests(#"{"Statement":[{"Resource":"x","Condition":{}}]}"#), "no DateLessThan")
        XCTAssertNil(CloudFrontVerifier.parsePolicyForTests(#"{"Statement":[{"Resource":"x","Condition":{"DateLessThan":{"AWS:EpochTime":"1"}}}]}"#))
        XCTAssertNil(CloudFrontVerifier.parsePolicyForTests(#"{"Statement":[{"Resource":"x","Condition":{"DateLessThan":{"AWS:EpochTime":9},"Other":{}}}]}"#))
        XCTAssertNil(CloudFrontVerifier.parsePolicyForTests(#"{"Statement":[{"Resource":"x","Condition":{"DateLessThan":{"AWS:EpochTime":9},"IpAddress":{"AWS:SourceIp":"999.1.1.1/8"}}}]}"#))
        XCTAssertNotNil(CloudFrontVerifier.parsePolicyForTests(#"{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":9}}}]}"#),
                        "a custom policy without Resource covers the whole distribution")
    }

    func testWildcards() {
        XCTAssertTrue(CloudFrontVerifier.matches("https://cdn/avatars/*", "https://cdn/avatars/a/b.png"))
        XCTAssertTrue(CloudFrontVerifier.matches("https://cdn/*.png", "https://cdn/x/y.png"))
        XCTAssertTrue(CloudFrontVerifier.matches("https://cdn/a?c", "https://cdn/abc"))
        XCTAssertFalse(CloudFrontVerifier.matches("https://cdn/a?c", "https://cdn/ac"))
        XCTAssertFalse(CloudFrontVerifier.matches("https://cdn/avatars/*", "https://cdn/avatarsX/a"))
        XCTAssertFalse(CloudFrontVerifier.matches("https://cdn/avatars/*", "https://cdn.evil/avatars/a"))
        XCTAssertTrue(CloudFrontVerifier.matches("*", "anything"))
        // Found by the cloudfront fuzz harness: a `*` facing a literal `*` in the URL was taken
        // as that character, so the rest of the URL no longer matched (a valid cookie refused).
        XCTAssertTrue(CloudFrontVerifier.matches("*", "*abc"))
        XCTAssertTrue(CloudFrontVerifier.matches("https://cdn/avatars/*", "https://cdn/avatars/*x.png"))
        XCTAssertTrue(CloudFrontVerifier.matches("https://cdn/a*c", "https://cdn/a*bc"))
        XCTAssertFalse(CloudFrontVerifier.matches("https://cdn/a*c", "https://cdn/a*b"))
    }

    func testIPRanges() {
        XCTAssertTrue(IPRange(cidr: "192.0.2.0/24")!.contains("192.0.2.255"))
        XCTAssertFalse(IPRange(cidr: "192.0.2.0/24")!.contains("192.0.3.0"))
        XCTAssertTrue(IPRange(cidr: "192.0.2.7")!.contains("192.0.2.7"))
        XCTAssertTrue(IPRange(cidr: "192.0.2.0/24")!.contains("::ffff:192.0.2.9"))
        XCTAssertTrue(IPRange(cidr: "2001:db8::/32")!.contains("2001:db8:1::5"))
        XCTAssertFalse(IPRange(cidr: "2001:db8::/32")!.contains("2001:db9::"))
        XCTAssertTrue(IPRange(cidr: "0.0.0.0/0")!.contains("203.0.113.1"))
        for bad in ["192.0.2.0/33", "192.0.2", "01.2.3.4", "1::2::3", "+1::", "fe80::1%eth0", "1.2.3.4/x"] {
            XCTAssertNil(IPRange(cidr: bad), bad)
        }
        XCTAssertFalse(IPRange(cidr: "192.0.2.0/24")!.contains("not an address"))
    }

    static let ecPEM = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgPoCmLOqOE2hyJzYU
        mMSr/lfalJ16VJwLrrb1SCILa9GhRANCAARZNveA8YPXTri82hCmfV6TFnckAcGe
        Xn9hMSVbwJ4Xnc+MrexpVH+D1xDdugMiMGldQ7R3Q6sf5/qbNdYhgdHo
        -----END PRIVATE KEY-----
        """
}

extension CloudFrontSigner {
    static func base64ForTests(_ bytes: [UInt8]) -> String {
        String(Base64.encode(bytes).map { $0 == "+" ? "-" : $0 == "=" ? "_" : $0 == "/" ? "~" : $0 })
    }
}

extension CloudFrontVerifier {
    static func parsePolicyForTests(_ json: String) -> VerifiedCloudFrontPolicy? { parsePolicy(Array(json.utf8), canned: false) }
}

extension String {
    func replacingKeyID(_ id: String) -> String {
        split(separator: ";").map { $0.trimmingSpaces().hasPrefix("CloudFront-Key-Pair-Id=") ? "CloudFront-Key-Pair-Id=\(id)" : String($0.trimmingSpaces()) }
            .joined(separator: "; ")
    }
}
