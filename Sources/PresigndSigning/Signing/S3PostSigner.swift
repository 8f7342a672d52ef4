import PresigndCrypto
import PresigndHTTP
package import PresigndSupport

/// A signed POST form: where the browser posts, and the fields to send before the file.
package struct PresignedPost: Sendable {
    /// The bucket's URL (`https://bucket.s3.region.amazonaws.com/` or path-style `…/bucket`).
    package let url: String
    /// Every field in form order; the `file` field must come after all of them.
    package let fields: [(name: String, value: String)]
    package let expiresIn: Int
    package let expiresAt: UnixSeconds
    /// True when the credentials expire before the requested lifetime ends.
    package let clampedByCredentials: Bool
    /// The policy's JSON text (base64 of it is the `policy` field).
    package let policyJSON: String
}

/// Signs S3 POST policies (SigV4: the signature is HMAC of the policy's base64 text).
package struct S3PostSigner: Sendable {
    package let endpoint: S3Endpoint
    package let signer: SigV4Signer

    package init(endpoint: S3Endpoint, signer: SigV4Signer) {
        self.endpoint = endpoint
        self.signer = signer
    }

    /// Signs `policy` at `time`: the form is valid from `time` for `expiresIn` seconds.
    package func sign(_ policy: PostPolicy, at time: UnixSeconds) throws(SigningError) -> PresignedPost {
        try policy.validate()
        let lifetime = try SigningLifetime(requested: policy.expires, at: time, credentials: signer.credentials)
        let date = SigV4Time(time)
        let scope = SigV4Scope(date: date.dateStamp, region: endpoint.region, service: "s3")
        let credential = signer.material(for: scope).credential

        var fields = policy.fields
        var conditions = policy.conditions
        conditions.append(.exact("bucket", policy.bucket))
        if policy.key.hasSuffix("${filename}") {
            conditions.append(.startsWith("key", String(policy.key.dropLast("${filename}".count))))
        } else {
            conditions.append(.exact("key", policy.key))
        }
        fields.append((name: "key", value: policy.key))
        var signed: [(String, String)] = [
            ("x-amz-algorithm", SigV4Signer.algorithm), ("x-amz-credential", credential), ("x-amz-date", date.amzDate),
        ]
        if let token = signer.credentials.sessionToken { signed.append(("x-amz-security-token", token)) }
        for (name, value) in signed {
            fields.append((name: name, value: value))
            conditions.append(.exact(name, value))
        }
        // Written straight to bytes; the same bytes as the JSONValue object of these two members.
        let document = PostPolicyCondition.policyDocument(expiration: UTCDateTime(lifetime.expiresAt).iso8601, conditions: conditions)
        let json = String(decoding: document, as: UTF8.self)
        let base64 = Base64.encode(document)
        fields.append((name: "policy", value: base64))
        fields.append((name: "x-amz-signature", value: signer.signString(base64, scope: scope)))

        let location = endpoint.locate(bucket: policy.bucket, key: nil)
        return PresignedPost(
            url: location.origin + location.path, fields: fields, expiresIn: lifetime.seconds, expiresAt: lifetime.expiresAt,
            clampedByCredentials: lifetime.clampedByCredentials, policyJSON: json)
    }

    /// The `x-amz-signature` for a policy's base64 text signed at `time` (for policies written elsewhere).
    package func signature(forPolicy base64: String, at time: UnixSeconds) -> String {
        signer.signString(base64, scope: SigV4Scope(date: UTCDateTime(time).dateStamp, region: endpoint.region, service: "s3"))
    }
}
