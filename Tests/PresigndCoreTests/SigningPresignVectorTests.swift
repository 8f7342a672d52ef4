import PresigndSupport
import PresigndSigning
import XCTest

/// Every presigned GET/PUT/HEAD/POST-multipart URL in public.json, byte for byte with botocore.
final class SigningPresignVectorTests: XCTestCase {
    func testPresignedURLsMatchBotocore() throws {
        for (id, inputs, outputs) in SigningVectors.cases("presign_get", "presign_put", expecting: 59) {
            let style = S3AddressingStyle(rawValue: inputs["addressing_style"]!.stringValue!)!
            let endpoint = try S3Endpoint(region: inputs["region"]!.stringValue!, endpoint: inputs["endpoint_url"]?.stringValue,
                                          addressing: style)
            let signer = SigV4Signer(credentials: SigningVectors.credentials(inputs["credentials"]!))
            let presigner = S3Presigner(endpoint: endpoint, signer: signer)
            // The SDK parameters map onto our API as: signed headers the client must send, and
            // the non-X-Amz query parameters in URL order.
            let extra = outputs["query_params"]!.arrayValue!.map { pair in
                (name: pair.arrayValue![0].stringValue!, value: pair.arrayValue![1].stringValue!)
            }.filter { !$0.name.hasPrefix("X-Amz-") }
            let request = S3PresignRequest(
                method: inputs["http_method"]!.stringValue!, bucket: inputs["bucket"]!.stringValue!, key: inputs["key"]!.stringValue!,
                expires: Int(inputs["expires"]!.int64Value!), headers: SigningVectors.headers(outputs["headers_to_send"]), query: extra)
            let time = SigningVectors.time(inputs["time_iso"]!.stringValue!)
            let signed: PresignedURL
            do {
                signed = try presigner.presign(request, at: time)
            } catch {
                XCTFail("\(id): \(error)")
                continue
            }
            XCTAssertEqual(signed.signature.canonicalRequest, outputs["canonical_request"]!.stringValue!, "\(id): canonical request")
            XCTAssertEqual(signed.signature.stringToSign, outputs["string_to_sign"]!.stringValue!, "\(id): string to sign")
            XCTAssertEqual(signed.signature.signature, outputs["signature"]!.stringValue!, "\(id): signature")
            XCTAssertEqual(signed.url, outputs["url"]!.stringValue!, "\(id): URL")
            XCTAssertEqual(signed.headers, SigningVectors.headers(outputs["headers_to_send"]), "\(id): headers to send")
            XCTAssertEqual(signed.expiresAt, time + inputs["expires"]!.int64Value!, "\(id): expiry")
            XCTAssertFalse(signed.clampedByCredentials, id)
            let scope = SigV4Scope(date: UTCDateTime(time).dateStamp, region: endpoint.region, service: "s3")
            XCTAssertEqual(Hex.encode(signer.signingKey(for: scope)), outputs["signing_key_hex"]!.stringValue!, "\(id): signing key")
        }
    }
}
