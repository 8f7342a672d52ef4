import Foundation
import PresigndSupport
import PresigndHTTP
import PresigndSigning
import XCTest

/// The S3 calls presignd makes itself, header-signed as botocore signs them (`Vectors/s3-calls.json`).
final class SigningS3CallsTests: XCTestCase {
    func testOwnCallsMatchBotocore() throws {
        let file = try JSONParser().parse(SigningVectors.text("s3-calls.json")!)
        let credentials = file["credentials"]!
        let signer = SigV4Signer(credentials: AWSCredentials(accessKeyID: credentials["access_key"]!.stringValue!,
                                                             secretAccessKey: credentials["secret_key"]!.stringValue!))
        let time = UTCDateTime.parse("20260314T150926Z")!.unixSeconds
        let cases = file["cases"]!.arrayValue!
        XCTAssertEqual(cases.count, 16)
        for vector in cases {
            let id = vector["id"]!.stringValue!
            let addressing = S3AddressingStyle(rawValue: vector["addressing"]!.stringValue!)!
            let endpoint = try S3Endpoint(region: vector["region"]!.stringValue!, endpoint: vector["endpoint"]?.stringValue, addressing: addressing)
            let requestSigner = S3RequestSigner(endpoint: endpoint, signer: signer)
            let url = vector["url"]!.stringValue!
            let method = vector["method"]!.stringValue!
            let payloadHash = vector["body_sha256"]!.stringValue!
            var headers = HTTPHeaders()
            for (name, value) in SigningVectors.pairs(vector["signed_headers"]) where !["x-amz-date", "x-amz-content-sha256"].contains(name) {
                headers.add(name, value)
            }
            // 1. Signing the URL as sent.
            let signed = try requestSigner.sign(method: method, url: url, headers: headers, payloadHash: payloadHash, at: time)
            XCTAssertEqual(signed.authorization, vector["authorization"]!.stringValue!, "\(id): Authorization (URL form)")
            XCTAssertEqual(signed.headers["x-amz-content-sha256"], payloadHash, id)

            // 2. Building the same URL from bucket, key and query.
            let components = URLComponents(string: url)!
            var path = components.percentEncodedPath
            if addressing == .path { path = String(path.dropFirst("/examplebucket".count)) }
            let key = path.count > 1 ? String(path.dropFirst()).removingPercentEncoding : nil
            let query = (components.percentEncodedQuery ?? "").split(separator: "&").map { item -> (name: String, value: String) in
                let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (name: String(parts[0]).removingPercentEncoding!, value: parts.count > 1 ? String(parts[1]).removingPercentEncoding! : "")
            }
            let built = try requestSigner.sign(method: method, bucket: "examplebucket", key: key, query: query, headers: headers,
                                               payloadHash: payloadHash, at: time)
            XCTAssertEqual(built.url, url, "\(id): URL")
            XCTAssertEqual(built.request.authorization, vector["authorization"]!.stringValue!, "\(id): Authorization (bucket/key form)")
        }
    }
}
