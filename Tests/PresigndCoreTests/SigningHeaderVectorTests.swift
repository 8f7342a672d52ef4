import PresigndSupport
import PresigndHTTP
import PresigndSigning
import XCTest

/// Header-signed S3 requests and non-S3 SigV4 cases from public.json.
final class SigningHeaderVectorTests: XCTestCase {
    static let addedBySigner: Set<String> = ["host", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"]

    func testHeaderSignedS3RequestsMatchBotocore() throws {
        for (id, inputs, outputs) in SigningVectors.cases("header_signed", expecting: 13) {
            let endpoint = try SigningVectors.endpoint(inputs)
            let signer = S3RequestSigner(endpoint: endpoint, signer: SigV4Signer(credentials: SigningVectors.credentials(inputs["credentials"]!)))
            let payloadHash = outputs["payload_hash"]!.stringValue!
            if let body = outputs["body_b64"]?.stringValue, !payloadHash.hasPrefix("STREAMING-") {
                XCTAssertEqual(SigningVectors.sha256Hex(Base64.decode(body)!), payloadHash, "\(id): body hash")
            }
            let headers = SigningVectors.headers(outputs["signed_header_values"], excluding: Self.addedBySigner)
            let signed: HeaderSignedRequest
            do {
                signed = try signer.sign(method: outputs["method"]!.stringValue!, url: outputs["url"]!.stringValue!, headers: headers,
                                         payloadHash: payloadHash, at: SigningVectors.time(inputs["time_iso"]!.stringValue!))
            } catch {
                XCTFail("\(id): \(error)")
                continue
            }
            XCTAssertEqual(signed.signature.canonicalRequest, outputs["canonical_request"]!.stringValue!, "\(id): canonical request")
            XCTAssertEqual(signed.signature.stringToSign, outputs["string_to_sign"]!.stringValue!, "\(id): string to sign")
            XCTAssertEqual(signed.authorization, outputs["authorization"]!.stringValue!, "\(id): Authorization")
            for (name, value) in SigningVectors.pairs(outputs["signed_header_values"]) where name != "host" {
                XCTAssertEqual(signed.headers[name], value, "\(id): header \(name) to send")
            }
        }
    }

    func testNonS3RequestsMatchBotocore() throws {
        for (id, inputs, outputs) in SigningVectors.cases("non_s3", expecting: 7) {
            let signer = GenericSigV4Signer(signer: SigV4Signer(credentials: SigningVectors.credentials(inputs["credentials"]!)),
                                            region: inputs["region"]!.stringValue!, service: inputs["signing_name"]!.stringValue!)
            let time = SigningVectors.time(inputs["time_iso"]!.stringValue!)
            let url = outputs["url"]!.stringValue!
            let pathAndQuery = url.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)[3]
            let path = "/" + (pathAndQuery.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            var headers = HTTPHeaders()
            let signature: SigV4Signature
            if let signedValues = outputs["signed_header_values"], signedValues != .null {
                // Header-signed: Host plus the caller's headers; the payload hash is SHA-256 of the body.
                headers.add("Host", signedValues["host"]!.stringValue!)
                for (name, value) in SigningVectors.pairs(signedValues) where !Self.addedBySigner.contains(name) { headers.add(name, value) }
                let body = outputs["body_b64"].flatMap { $0.stringValue }.flatMap { Base64.decode($0) } ?? []
                let query = outputs["query_params"]!.arrayValue!.map { (name: $0.arrayValue![0].stringValue!, value: $0.arrayValue![1].stringValue!) }
                let request = SigV4Request(method: outputs["method"]!.stringValue!, path: path, query: query, headers: headers)
                let signed = try signer.signHeaders(request, payloadHash: SigningVectors.sha256Hex(body), at: time)
                XCTAssertEqual(signed.authorization, outputs["authorization"]!.stringValue!, "\(id): Authorization")
                signature = signed.signature
            } else {
                // Query-signed (presigned STS call, RDS auth token).
                headers.add("Host", outputs["host_header"]!.stringValue!)
                let extra = outputs["query_params"]!.arrayValue!.map { (name: $0.arrayValue![0].stringValue!, value: $0.arrayValue![1].stringValue!) }
                    .filter { !$0.name.hasPrefix("X-Amz-") }
                let request = SigV4Request(method: inputs["http_method"]!.stringValue!, path: path, query: extra, headers: headers)
                let signed = try signer.presign(request, payloadHash: outputs["payload_hash"]!.stringValue!, at: time,
                                                expires: Int(inputs["expires"]!.int64Value!))
                XCTAssertEqual(signed.query, outputs["query"]!.stringValue!, "\(id): query")
                signature = signed.signature
            }
            XCTAssertEqual(signature.canonicalRequest, outputs["canonical_request"]!.stringValue!, "\(id): canonical request")
            XCTAssertEqual(signature.stringToSign, outputs["string_to_sign"]!.stringValue!, "\(id): string to sign")
            XCTAssertEqual(signature.signature, outputs["signature"]!.stringValue!, "\(id): signature")
        }
    }
}
