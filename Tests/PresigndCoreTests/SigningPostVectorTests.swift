import PresigndSupport
import PresigndSigning
import XCTest

/// S3 POST policies: signatures over given policies, and forms built for botocore's inputs.
final class SigningPostVectorTests: XCTestCase {
    func testPolicySignaturesMatchBotocore() throws {
        for (id, inputs, outputs) in SigningVectors.cases("post_policy_signature", expecting: 4) {
            XCTAssertEqual(Base64.encode(Array(inputs["policy_json"]!.stringValue!.utf8)), inputs["policy_b64"]!.stringValue!, "\(id): base64")
            let signer = S3PostSigner(endpoint: try S3Endpoint(region: inputs["region"]!.stringValue!),
                                      signer: SigV4Signer(credentials: SigningVectors.credentials(inputs["credentials"]!)))
            let signature = signer.signature(forPolicy: inputs["policy_b64"]!.stringValue!, at: SigningVectors.time(inputs["time_iso"]!.stringValue!))
            XCTAssertEqual(signature, outputs["signature"]!.stringValue!, "\(id): signature")
        }
    }

    static func condition(_ value: JSONValue) -> PostPolicyCondition {
        if let object = value.objectValue {
            return .exact(object.members[0].key, object.members[0].value.stringValue!)
        }
        let items = value.arrayValue!
        switch items[0].stringValue! {
        case "starts-with": return .startsWith(String(items[1].stringValue!.dropFirst()), items[2].stringValue!)
        case "eq": return .equals(String(items[1].stringValue!.dropFirst()), items[2].stringValue!)
        default: return .contentLengthRange(items[1].int64Value!, items[2].int64Value!)
        }
    }

    func testFormsMatchBotocore() throws {
        for (id, inputs, outputs) in SigningVectors.cases("presign_post", expecting: 8) {
            let endpoint = try SigningVectors.endpoint(inputs)
            let signer = S3PostSigner(endpoint: endpoint, signer: SigV4Signer(credentials: SigningVectors.credentials(inputs["credentials"]!)))
            var policy = PostPolicy(bucket: inputs["bucket"]!.stringValue!, key: inputs["key"]!.stringValue!,
                                    expires: Int(inputs["expires"]!.int64Value!))
            // botocore takes fields and conditions separately; so do we here.
            for (name, value) in SigningVectors.pairs(inputs["fields"]) { policy.field(name, value, condition: false) }
            for condition in inputs["conditions"]?.arrayValue ?? [] { policy.condition(Self.condition(condition)) }
            let time = SigningVectors.time(inputs["time_iso"]!.stringValue!)
            let form = try signer.sign(policy, at: time)

            XCTAssertEqual(form.url, outputs["url"]!.stringValue!, "\(id): URL")
            let expected = SigningVectors.pairs(outputs["fields"])
            XCTAssertEqual(form.fields.map(\.name), expected.map(\.name), "\(id): field order")
            for (ours, theirs) in zip(form.fields, expected) where ours.name != "policy" && ours.name != "x-amz-signature" {
                XCTAssertEqual(ours.value, theirs.value, "\(id): field \(ours.name)")
            }
            // Our JSON is compact where botocore's has spaces; the documents must be the same.
            let ourPolicy = try JSONParser().parse(Base64.decode(form.fields.first { $0.name == "policy" }!.value)!)
            XCTAssertEqual(ourPolicy, try JSONParser().parse(outputs["policy_json"]!.stringValue!), "\(id): policy document")
            XCTAssertEqual(ourPolicy.serialized(), form.policyJSON, id)
            // And the signature is the one botocore would give our policy text.
            let ourBase64 = form.fields.first { $0.name == "policy" }!.value
            XCTAssertEqual(form.fields.last!.value, signer.signature(forPolicy: ourBase64, at: time), id)
            XCTAssertEqual(signer.signature(forPolicy: outputs["policy_b64"]!.stringValue!, at: time), outputs["signature"]!.stringValue!,
                           "\(id): signature over botocore's policy")
            XCTAssertEqual(form.expiresAt, time + inputs["expires"]!.int64Value!, id)
        }
    }
}
