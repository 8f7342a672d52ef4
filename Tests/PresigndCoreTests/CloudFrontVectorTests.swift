import PresigndSupport
import PresigndSigning
import XCTest

/// CloudFront signed URLs and cookies from public.json (RSA-SHA1 is deterministic: exact match).
final class CloudFrontVectorTests: XCTestCase {
    static func policy(_ inputs: JSONValue) -> CloudFrontPolicy {
        let resource = inputs["resource"]!.stringValue!
        let expires = inputs["date_less_than_epoch"]!.int64Value!
        if inputs["policy_type"]!.stringValue! == "canned" { return .canned(resource: resource, expires: expires) }
        return .custom(resource: resource, dateLessThan: expires, dateGreaterThan: inputs["date_greater_than_epoch"]?.int64Value,
                       ipAddress: inputs["ip_address"]?.stringValue)
    }

    static var signer: CloudFrontSigner {
        let key = SigningVectors.publicFile["cloudfront_key"]!
        return try! CloudFrontSigner(keyPairID: key["key_pair_id"]!.stringValue!, privateKeyPEM: key["private_key_pem"]!.stringValue!)
    }

    func testSignedURLsMatchBotocore() throws {
        let cases = SigningVectors.cases("cloudfront_signed_url")
        XCTAssertEqual(cases.count, 4)
        for vector in cases {
            let id = vector["id"]!.stringValue!
            let url = try Self.signer.signedURL(vector["inputs"]!["url"]!.stringValue!, policy: Self.policy(vector["inputs"]!))
            XCTAssertEqual(url, vector["outputs"]!["signed_url"]!.stringValue!, "\(id): signed URL")
        }
    }

    func testSignedCookiesMatchBotocore() throws {
        let cases = SigningVectors.cases("cloudfront_signed_cookies")
        XCTAssertEqual(cases.count, 2)
        for vector in cases {
            let id = vector["id"]!.stringValue!
            let cookies = try Self.signer.cookies(policy: Self.policy(vector["inputs"]!))
            let expected = SigningVectors.pairs(vector["outputs"]!["cookies"])
            XCTAssertEqual(cookies.map(\.name), expected.map(\.name), "\(id): cookie names")
            XCTAssertEqual(cookies.map(\.value), expected.map(\.value), "\(id): cookie values")
        }
    }
}
