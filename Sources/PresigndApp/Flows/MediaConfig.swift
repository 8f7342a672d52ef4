import PresigndHTTP
import PresigndJWT
import PresigndMetrics
import PresigndSigning
package import PresigndSupport
import PresigndUploads

/// The media route: images at fixed URLs (`GET {prefix}/<key>`) from the private bucket,
/// authorised by the CloudFront signed cookies presignd issues, the bytes carried by nginx.
///
/// | variable | default | meaning |
/// | --- | --- | --- |
/// | `PRESIGND_MEDIA_PREFIX` | `/media` | the URL prefix (nginx's `location /media/` must match) |
/// | `PRESIGND_MEDIA_OWNER_PATHS` | (none) | comma-separated patterns such as `/images/{user}/*`: only the owner may see them (their JWT, by the configured cookie, must name the `{user}` segment) |
/// | `PRESIGND_MEDIA_URL_EXPIRES` | `60` | seconds the presigned GET nginx fetches with lives |
/// | `PRESIGND_MEDIA_MAX_AGE` | `3600` | the longest browser cache time; never beyond the cookies' remaining life |
/// | `PRESIGND_CLOUDFRONT_TRUSTED_KEYS` | (the signing key) | more keys whose cookies are accepted, `KEYID=/path/public.pem,…` (a key rotation) |
package struct MediaConfig: Sendable, Equatable {
    package var prefix: String
    package var ownerPatterns: [OwnerPattern]
    package var urlExpires: Int64
    package var maxAge: Int64

    /// `/images/{user}/*`: keys under `images/<user segment>/` belong to that user.
    package struct OwnerPattern: Sendable, Equatable {
        /// The key segments before `{user}`, such as `["images"]`.
        package let leading: [String]

        package init?(_ pattern: String) {
            let segments = pattern.split(separator: "/", omittingEmptySubsequences: false)
            guard segments.count >= 4, segments.first == "", segments.last == "*",
                  segments[segments.count - 2] == "{user}" else { return nil }
            let leading = segments[1..<(segments.count - 2)].map(String.init)
            guard leading.allSatisfy({ !$0.isEmpty && !$0.contains("{") && !$0.contains("*") }) else { return nil }
            self.leading = leading
        }

        /// The user segment a key belongs to, when the key falls under this pattern.
        package func owner(of keySegments: [Substring]) -> Substring? {
            guard keySegments.count > leading.count + 1, zip(leading, keySegments).allSatisfy({ $0 == $1 }) else { return nil }
            return keySegments[leading.count]
        }
    }

    package init(prefix: String = "/media", ownerPatterns: [OwnerPattern] = [], urlExpires: Int64 = 60, maxAge: Int64 = 3600) {
        self.prefix = prefix
        self.ownerPatterns = ownerPatterns
        self.urlExpires = urlExpires
        self.maxAge = maxAge
    }

    package static func from(_ environment: Environment) throws(ConfigError) -> MediaConfig {
        var config = MediaConfig()
        if let prefix = environment.string("PRESIGND_MEDIA_PREFIX") {
            if prefix.hasPrefix("/"), !prefix.hasSuffix("/"), !prefix.hasPrefix("/api/"), prefix.utf8.count <= 64,
               prefix.utf8.allSatisfy({ ASCII.isAlphanumeric($0) || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }) {
                config.prefix = prefix
            } else {
                try environment.refuse(ConfigError(variable: "PRESIGND_MEDIA_PREFIX", problem: "expected a path such as /media (letters, digits, - and _; outside /api/)"))
            }
        }
        for text in (environment.string("PRESIGND_MEDIA_OWNER_PATHS") ?? "").split(separator: ",") {
            let trimmed = String(text.trimmingSpaces())
            guard let pattern = OwnerPattern(trimmed) else {
                try environment.refuse(ConfigError(variable: "PRESIGND_MEDIA_OWNER_PATHS", problem: "\"\(trimmed.prefix(80))\" is not a pattern like /images/{user}/*"))
                continue
            }
            config.ownerPatterns.append(pattern)
        }
        config.urlExpires = Int64(try environment.integer("PRESIGND_MEDIA_URL_EXPIRES", default: 60, range: 5...3600))
        config.maxAge = Int64(try environment.integer("PRESIGND_MEDIA_MAX_AGE", default: 3600, range: 0...604_800))
        return config
    }
}
