import PresigndHTTP
import PresigndJWT
import PresigndMetrics
package import PresigndSigning
package import PresigndSupport
package import PresigndUploads

/// Where the CloudFront cookies apply.
package struct CDNConfig: Sendable, Equatable {
    /// `cdn.app.com`.
    package let domain: String
    /// `/*` or `/avatars/*`: the policy's resource is `https://{domain}{pathPattern}`.
    package let pathPattern: String
    /// The cookies' `Domain` attribute (`.app.com` so both app and CDN receive them).
    package let cookieDomain: String

    package init(domain: String, pathPattern: String = "/*", cookieDomain: String? = nil) {
        self.domain = domain
        self.pathPattern = pathPattern
        self.cookieDomain = cookieDomain ?? domain
    }

    package var resource: String { "https://\(domain)\(pathPattern)" }
}

/// Uppy's S3 protocol (Companion's routes): where it is served and the purpose of uploads
/// whose metadata names none.
package struct UppyConfig: Sendable, Equatable {
    /// `/api/uppy`: Uppy is configured with `endpoint: '/api/uppy'` and calls `{prefix}/s3/…`.
    package var prefix: String
    package var defaultPurpose: String

    package init(prefix: String = "/api/uppy", defaultPurpose: String = "document") {
        self.prefix = prefix
        self.defaultPurpose = defaultPurpose
    }
}

/// The flows' settings: purposes, expiries, the store's abilities, multipart, Uppy and the CDN.
package struct FlowsConfig: Sendable, Equatable {
    package var purposes: UploadPurposes
    package var expiries: FlowExpiries
    package var cdn: CDNConfig?
    package var store: StoreProfile
    /// The part size presignd plans multipart uploads with (grown for files over 10,000 parts).
    package var partSize: Int64
    package var uppy: UppyConfig
    /// Seconds after which the sweeper expires an unfinished upload.
    package var sweepAfter: Int64

    package init(purposes: UploadPurposes = .defaults, expiries: FlowExpiries = FlowExpiries(), cdn: CDNConfig? = nil,
                store: StoreProfile = .aws, partSize: Int64 = 8 << 20, uppy: UppyConfig = UppyConfig(), sweepAfter: Int64 = 86_400) {
        self.purposes = purposes
        self.expiries = expiries
        self.cdn = cdn
        self.store = store
        self.partSize = partSize
        self.uppy = uppy
        self.sweepAfter = sweepAfter
    }

    /// `PRESIGND_PURPOSES` (JSON, or `PRESIGND_PURPOSES_FILE` naming a JSON file), the expiry
    /// variables, and `PRESIGND_CDN_DOMAIN` / `PRESIGND_CDN_PATH_PATTERN` / `PRESIGND_CDN_COOKIE_DOMAIN`.
    package static func from(_ environment: Environment) throws(ConfigError) -> FlowsConfig {
        var config = FlowsConfig()
        if let json = try environment.secret("PRESIGND_PURPOSES") {
            // Refused purposes leave the defaults in place, so the variables below are still checked.
            do { config.purposes = try UploadPurposes.parse(json, variable: "PRESIGND_PURPOSES") } catch { try environment.refuse(error) }
        }
        // The default quota, for purposes that set none of their own.
        let defaultBytes = try environment.integer("PRESIGND_QUOTA_BYTES", default: 0, range: 0...Int.max)
        let defaultFiles = try environment.integer("PRESIGND_QUOTA_FILES", default: 0, range: 0...Int.max)
        if defaultBytes > 0 || defaultFiles > 0 {
            let quota = UploadQuota(maxBytes: defaultBytes > 0 ? Int64(defaultBytes) : nil, maxFiles: defaultFiles > 0 ? Int64(defaultFiles) : nil)
            config.purposes = UploadPurposes(config.purposes.all.map { purpose in
                var purpose = purpose
                if purpose.quota == nil { purpose.quota = quota }
                return purpose
            })
        }
        config.expiries = try FlowExpiries.from(environment)
        config.store = try StoreProfile.from(environment)
        config.partSize = Int64(try environment.integer("PRESIGND_MULTIPART_PART_SIZE", default: 8 << 20,
                                                        range: Int(MultipartPlan.minimumPartSize)...Int(MultipartPlan.maximumPartSize)))
        config.sweepAfter = Int64(try environment.integer("PRESIGND_SWEEP_AFTER", default: 86_400, range: 60...Int(FlowExpiries.maximum) * 4))
        if let prefix = environment.string("PRESIGND_UPPY_PREFIX") {
            if prefix.hasPrefix("/"), !prefix.hasSuffix("/"), prefix.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "{") }) {
                config.uppy.prefix = prefix
            } else {
                try environment.refuse(ConfigError(variable: "PRESIGND_UPPY_PREFIX", problem: "expected a path such as /api/uppy (no trailing slash)"))
            }
        }
        if let purpose = environment.string("PRESIGND_UPPY_PURPOSE") {
            if config.purposes[purpose] != nil {
                config.uppy.defaultPurpose = purpose
            } else {
                try environment.refuse(ConfigError(variable: "PRESIGND_UPPY_PURPOSE", problem: "\"\(purpose)\" is not one of the configured purposes"))
            }
        }
        if config.purposes[config.uppy.defaultPurpose] == nil, let first = config.purposes.all.first {
            config.uppy.defaultPurpose = first.name
        }
        if let domain = environment.string("PRESIGND_CDN_DOMAIN") {
            if !isHostName(domain) {
                try environment.refuse(ConfigError(variable: "PRESIGND_CDN_DOMAIN", problem: "expected a host name such as cdn.example.com"))
            }
            let pattern = environment.string("PRESIGND_CDN_PATH_PATTERN") ?? "/*"
            if !pattern.hasPrefix("/") || !pattern.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") }) {
                try environment.refuse(ConfigError(variable: "PRESIGND_CDN_PATH_PATTERN", problem: "expected a path pattern such as /* or /avatars/*"))
            }
            let cookieDomain = environment.string("PRESIGND_CDN_COOKIE_DOMAIN")
            if let cookieDomain, !isHostName(cookieDomain.hasPrefix(".") ? String(cookieDomain.dropFirst()) : cookieDomain) {
                try environment.refuse(ConfigError(variable: "PRESIGND_CDN_COOKIE_DOMAIN", problem: "expected a domain such as .example.com"))
            }
            config.cdn = CDNConfig(domain: domain, pathPattern: pattern, cookieDomain: cookieDomain)
        }
        return config
    }

    static func isHostName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 253 && text.utf8.allSatisfy { byte in
            ASCII.isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
        }
    }
}
