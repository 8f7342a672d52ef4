import PresigndHTTP
package import PresigndSupport

/// Where presignd's S3 calls and signatures go, resolved once from the environment for
/// `serve`, `check-config`, `sweep`, `bucket-setup` and the `presign` command (whose flags
/// override it), so all of them agree.
///
/// | variable | default | meaning |
/// | --- | --- | --- |
/// | `PRESIGND_BUCKET` | required (the CLI takes it from `s3://BUCKET/KEY`) | the bucket uploads go to |
/// | `AWS_REGION` (`AWS_DEFAULT_REGION`) | `us-east-1` | signing region |
/// | `AWS_ENDPOINT_URL_S3` (`AWS_ENDPOINT_URL`) | AWS | an S3-compatible endpoint |
/// | `PRESIGND_S3_ADDRESSING` | `virtual`, `path` with a custom endpoint | `virtual`, `path` or `auto` |
/// | `AWS_ACCESS_KEY_ID` … | | credentials, as the AWS CLI finds them |
package struct S3Config: ConfigSection {
    package let bucket: String?
    package let region: String
    package let endpointURL: String?
    package let addressing: S3AddressingStyle
    package let credentials: AWSCredentials
    package let endpoint: S3Endpoint

    /// Values given on a command line, which win over the environment.
    package struct Overrides: Sendable {
        package var region: String? = nil
        package var endpointURL: String? = nil
        package var addressing: S3AddressingStyle? = nil

        package init(region: String? = nil, endpointURL: String? = nil, addressing: S3AddressingStyle? = nil) {
            self.region = region
            self.endpointURL = endpointURL
            self.addressing = addressing
        }
    }

    package static func from(_ env: Environment, requireBucket: Bool = true, overrides: Overrides = Overrides()) throws(ConfigError) -> S3Config {
        // The CLI names its bucket in s3://BUCKET/KEY and never reads PRESIGND_BUCKET.
        let bucket = requireBucket ? env.string("PRESIGND_BUCKET") : nil
        if requireBucket && bucket == nil {
            throw ConfigError(variable: "PRESIGND_BUCKET", problem: "set the bucket uploads go to")
        }
        // Checked here, or every request would fail with a 400 blaming the client.
        if let bucket {
            do { try S3Validation.validateBucket(bucket) } catch { try env.refuse(ConfigError(variable: "PRESIGND_BUCKET", problem: error.message)) }
        }
        let regionVariable = env.string("AWS_REGION") != nil || env.string("AWS_DEFAULT_REGION") == nil ? "AWS_REGION" : "AWS_DEFAULT_REGION"
        let region = overrides.region ?? env.string("AWS_REGION") ?? env.string("AWS_DEFAULT_REGION") ?? "us-east-1"
        let custom = overrides.endpointURL ?? env.string("AWS_ENDPOINT_URL_S3") ?? env.string("AWS_ENDPOINT_URL")
        var addressing = overrides.addressing
        if addressing == nil {
            let text = env.string("PRESIGND_S3_ADDRESSING") ?? (custom == nil ? "virtual" : "path")
            addressing = S3AddressingStyle(rawValue: text)
            if addressing == nil {
                try env.refuse(ConfigError(variable: "PRESIGND_S3_ADDRESSING", problem: "expected virtual, path or auto, got \"\(text)\""))
                addressing = custom == nil ? .virtual : .path
            }
        }
        var endpoint: S3Endpoint?
        do {
            endpoint = try S3Endpoint(region: region, endpoint: custom, addressing: addressing ?? .virtual)
        } catch {
            // The region and the endpoint are each checked on their own, so both can be named.
            do { _ = try S3Endpoint(region: region, endpoint: nil, addressing: .path) } catch {
                try env.refuse(ConfigError(variable: regionVariable, problem: error.message))
            }
            if custom != nil {
                do { _ = try S3Endpoint(region: "us-east-1", endpoint: custom, addressing: addressing ?? .virtual) } catch {
                    let endpointVariable = env.string("AWS_ENDPOINT_URL_S3") != nil ? "AWS_ENDPOINT_URL_S3" : "AWS_ENDPOINT_URL"
                    try env.refuse(ConfigError(variable: endpointVariable, problem: error.message))
                }
            }
        }
        let credentials = try CredentialsLoader.load(from: env)
        guard let endpoint else {
            // Named above when problems are collected; thrown here for an environment that throws.
            throw ConfigError(variable: regionVariable, problem: "no valid endpoint for region \"\(region)\"")
        }
        return S3Config(bucket: bucket, region: region, endpointURL: custom, addressing: addressing ?? .virtual,
                        credentials: credentials, endpoint: endpoint)
    }

    package var entries: [ConfigEntry] {
        [
            ConfigEntry("PRESIGND_BUCKET", bucket),
            ConfigEntry("AWS_REGION", region),
            ConfigEntry("AWS_ENDPOINT_URL_S3", endpointURL ?? "(AWS)"),
            ConfigEntry("PRESIGND_S3_ADDRESSING", addressing.rawValue),
            ConfigEntry("AWS_ACCESS_KEY_ID", credentials.accessKeyID, secret: true),
            ConfigEntry("AWS_SECRET_ACCESS_KEY", credentials.secretAccessKey, secret: true),
            ConfigEntry("AWS_SESSION_TOKEN", credentials.sessionToken, secret: true),
            ConfigEntry("AWS_CREDENTIAL_EXPIRATION", credentials.expiresAt.map { UTCDateTime($0).iso8601 } ?? "(does not expire)"),
        ]
    }
}
