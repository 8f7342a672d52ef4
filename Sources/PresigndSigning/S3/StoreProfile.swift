import PresigndCrypto
import PresigndHTTP
package import PresigndSupport

/// What an S3-compatible store supports, so presignd signs only what it accepts and
/// `bucket-setup` configures only what it has. `PRESIGND_STORE_PROFILE` picks a preset;
/// `PRESIGND_STORE_POST_POLICY=false|true` overrides the one setting the upload flow depends on.
///
/// | preset | POST policies | POST answers an ETag | checksums it checks (single upload; parts) | public access block | lifecycle rules | object tagging |
/// | --- | --- | --- | --- | --- | --- | --- |
/// | `aws` | yes | yes | SHA-256, MD5; SHA-256, MD5 | yes | yes | yes |
/// | `r2` (Cloudflare R2 answers 501 to POST, and to SHA-256 on UploadPart) | no | — | SHA-256, MD5; MD5 | no | yes | no |
/// | `minio` | yes | yes | SHA-256, MD5; SHA-256, MD5 | no | yes | yes |
/// | `ceph` (RGW 16: a POST form gets a bare 204; no additional checksums) | yes | no | MD5; MD5 | yes | yes | yes |
/// | `generic` | yes | yes | MD5; MD5 | no | no | no |
package struct StoreProfile: Sendable, Equatable {
    package let name: String
    /// Browser-form uploads with a POST policy (the store enforces size, type and key).
    package var postPolicies: Bool
    /// Whether a POST-form upload's answer carries the object's `ETag` (and `Location`) headers,
    /// which Uppy's simple uploads wait for; where it does not, Uppy is given a PUT.
    package var postAnswersETag: Bool
    /// The digests the store checks against a single upload's bytes when they arrive (a signed
    /// header), in order of preference: what presign may bind.
    package var checksums: [ChecksumAlgorithm]
    /// The digests it checks against each part of a multipart upload (R2 answers 501 to a
    /// SHA-256 on UploadPart).
    package var partChecksums: [ChecksumAlgorithm]
    package var publicAccessBlock: Bool
    package var lifecycleRules: Bool
    package var tagging: Bool

    package static let aws = StoreProfile(name: "aws", postPolicies: true, postAnswersETag: true, checksums: [.sha256, .md5],
                                          partChecksums: [.sha256, .md5], publicAccessBlock: true, lifecycleRules: true, tagging: true)
    package static let r2 = StoreProfile(name: "r2", postPolicies: false, postAnswersETag: false, checksums: [.sha256, .md5],
                                         partChecksums: [.md5], publicAccessBlock: false, lifecycleRules: true, tagging: false)
    package static let minio = StoreProfile(name: "minio", postPolicies: true, postAnswersETag: true, checksums: [.sha256, .md5],
                                            partChecksums: [.sha256, .md5], publicAccessBlock: false, lifecycleRules: true, tagging: true)
    // Ceph RGW 16.2: a POST form's answer is a bare 204 (no ETag, no Location, also with
    // success_action_status=201, whose XML body has them but not the headers); a public access
    // block is supported; Content-MD5 is checked, x-amz-checksum-* is ignored.
    package static let ceph = StoreProfile(name: "ceph", postPolicies: true, postAnswersETag: false, checksums: [.md5],
                                           partChecksums: [.md5], publicAccessBlock: true, lifecycleRules: true, tagging: true)
    package static let generic = StoreProfile(name: "generic", postPolicies: true, postAnswersETag: true, checksums: [.md5],
                                              partChecksums: [.md5], publicAccessBlock: false, lifecycleRules: false, tagging: false)
    package static let presets = [aws, r2, minio, ceph, generic]

    /// `PRESIGND_STORE_PROFILE` (default `aws`) and `PRESIGND_STORE_POST_POLICY`.
    package static func from(_ environment: Environment) throws(ConfigError) -> StoreProfile {
        let name = environment.string("PRESIGND_STORE_PROFILE") ?? "aws"
        var profile = aws
        if let preset = presets.first(where: { $0.name == name.lowercased() }) {
            profile = preset
        } else {
            try environment.refuse(ConfigError(variable: "PRESIGND_STORE_PROFILE",
                                               problem: "expected one of \(presets.map(\.name).joined(separator: ", ")), got \"\(name)\""))
        }
        if environment.string("PRESIGND_STORE_POST_POLICY") != nil {
            profile.postPolicies = try environment.boolean("PRESIGND_STORE_POST_POLICY", default: profile.postPolicies)
        }
        return profile
    }
}
