import PresigndHTTP
package import PresigndSupport

/// Finds the AWS credentials presignd signs with, as the AWS CLI would: the environment first
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` or `AWS_SECRET_ACCESS_KEY_FILE`, `AWS_SESSION_TOKEN`),
/// then the shared credentials file's `AWS_PROFILE` (default `default`) section. Temporary
/// credentials may carry an expiry (`AWS_CREDENTIAL_EXPIRATION`, or `aws_expiration` in the file).
package enum CredentialsLoader {
    /// The credentials to sign with, or a `ConfigError` naming the variable to fix.
    package static func load(from environment: Environment) throws(ConfigError) -> AWSCredentials {
        let expiration = try expiry(environment.string("AWS_CREDENTIAL_EXPIRATION"), variable: "AWS_CREDENTIAL_EXPIRATION")
        if let accessKey = environment.string("AWS_ACCESS_KEY_ID") {
            guard let secret = try environment.secret("AWS_SECRET_ACCESS_KEY") else {
                throw ConfigError(variable: "AWS_SECRET_ACCESS_KEY", problem: "is required when AWS_ACCESS_KEY_ID is set")
            }
            return try validated(environment, accessKey: accessKey, secret: secret, token: try environment.secret("AWS_SESSION_TOKEN"),
                                 expiresAt: expiration, source: nil)
        }
        if environment.string("AWS_SECRET_ACCESS_KEY") != nil {
            throw ConfigError(variable: "AWS_ACCESS_KEY_ID", problem: "is required when AWS_SECRET_ACCESS_KEY is set")
        }
        let path = environment.string("AWS_SHARED_CREDENTIALS_FILE")
            ?? environment.string("HOME").map { $0 + "/.aws/credentials" }
        guard let path, let text = environment.readFile(path) else {
            throw ConfigError(variable: "AWS_ACCESS_KEY_ID",
                              problem: "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or provide a shared credentials file (AWS_SHARED_CREDENTIALS_FILE)")
        }
        let profile = environment.string("AWS_PROFILE") ?? "default"
        guard let section = SharedCredentialsFile(parsing: text).profiles[profile] else {
            throw ConfigError(variable: "AWS_PROFILE", problem: "the credentials file \(path) has no [\(profile)] profile")
        }
        guard let accessKey = section["aws_access_key_id"], let secret = section["aws_secret_access_key"] else {
            throw ConfigError(variable: "AWS_PROFILE", problem: "profile [\(profile)] in \(path) needs aws_access_key_id and aws_secret_access_key")
        }
        let fileExpiry = try expiry(section["aws_expiration"], variable: "aws_expiration in [\(profile)]")
        return try validated(environment, accessKey: accessKey, secret: secret, token: section["aws_session_token"],
                             expiresAt: expiration ?? fileExpiry, source: "profile [\(profile)]")
    }

    /// `source` names the credentials file's profile; nil: the environment, whose errors name
    /// the variable that is wrong.
    static func validated(_ environment: Environment, accessKey: String, secret: String, token: String?, expiresAt: UnixSeconds?,
                          source: String?) throws(ConfigError) -> AWSCredentials {
        // AWS issues 16 to 128 characters; S3-compatible stores issue shorter ones (MinIO's
        // `minioadmin`, Ceph RGW's `test`). The id sits inside the credential scope, so it is
        // held to unreserved characters (no `/`).
        if !(1...128).contains(accessKey.utf8.count) || !accessKey.utf8.allSatisfy({ PercentEncoding.isUnreserved($0) }) {
            try environment.refuse(ConfigError(
                variable: source ?? "AWS_ACCESS_KEY_ID",
                problem: "the access key id must be 1 to 128 letters, digits, '-', '.', '_' or '~' (like AKIAIOSFODNN7EXAMPLE or minioadmin)"))
        }
        if secret.isEmpty || !secret.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            try environment.refuse(ConfigError(variable: source ?? "AWS_SECRET_ACCESS_KEY", problem: "the secret access key must be printable ASCII without spaces"))
        }
        if let token, token.isEmpty || !token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            try environment.refuse(ConfigError(variable: source ?? "AWS_SESSION_TOKEN", problem: "the session token must be printable ASCII without spaces"))
        }
        return AWSCredentials(accessKeyID: accessKey, secretAccessKey: secret, sessionToken: token, expiresAt: expiresAt)
    }

    /// `2026-03-14T15:09:26Z`, with optional milliseconds; `+00:00` is accepted for `Z`.
    static func expiry(_ text: String?, variable: String) throws(ConfigError) -> UnixSeconds? {
        guard var text else { return nil }
        if text.hasSuffix("+00:00") { text = String(text.dropLast(6)) + "Z" }
        guard let date = UTCDateTime.parse(text) else {
            throw ConfigError(variable: variable, problem: "expected a UTC time like 2026-03-14T15:09:26Z")
        }
        return date.unixSeconds
    }
}
