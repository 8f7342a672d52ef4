import PresigndCore

/// Where the CloudFront cookies apply.
public struct CDNConfig: Sendable, Equatable {
    /// `cdn.app.com`.
    public let domain: String
    /// `/*` or `/avatars/*`: the policy's resource is `https://{domain}{pathPattern}`.
    public let pathPattern: String
    /// The cookies' `Domain` attribute (`.app.com` so both app and CDN receive them).
    public let cookieDomain: String

    public init(domain: String, pathPattern: String = "/*", cookieDomain: String? = nil) {
        self.domain = domain
        self.pathPattern = pathPattern
        self.cookieDomain = cookieDomain ?? domain
    }

    public var resource: String { "https://\(domain)\(pathPattern)" }
}

/// The flows' settings: purposes, expiries and the CDN.
public struct FlowsConfig: Sendable, Equatable {
    public var purposes: UploadPurposes
    public var expiries: FlowExpiries
    public var cdn: CDNConfig?

    public init(purposes: UploadPurposes = .defaults, expiries: FlowExpiries = FlowExpiries(), cdn: CDNConfig? = nil) {
        self.purposes = purposes
        self.expiries = expiries
        self.cdn = cdn
    }

    /// `PRESIGND_PURPOSES` (JSON, or `PRESIGND_PURPOSES_FILE` naming a JSON file), the expiry
    /// variables, and `PRESIGND_CDN_DOMAIN` / `PRESIGND_CDN_PATH_PATTERN` / `PRESIGND_CDN_COOKIE_DOMAIN`.
    public static func from(_ environment: Environment) throws(ConfigError) -> FlowsConfig {
        var config = FlowsConfig()
        if let json = try environment.secret("PRESIGND_PURPOSES") {
            config.purposes = try UploadPurposes.parse(json, variable: "PRESIGND_PURPOSES")
        }
        config.expiries = try FlowExpiries.from(environment)
        if let domain = environment.string("PRESIGND_CDN_DOMAIN") {
            guard isHostName(domain) else {
                throw ConfigError(variable: "PRESIGND_CDN_DOMAIN", problem: "expected a host name such as cdn.example.com")
            }
            let pattern = environment.string("PRESIGND_CDN_PATH_PATTERN") ?? "/*"
            guard pattern.hasPrefix("/"), pattern.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") }) else {
                throw ConfigError(variable: "PRESIGND_CDN_PATH_PATTERN", problem: "expected a path pattern such as /* or /avatars/*")
            }
            let cookieDomain = environment.string("PRESIGND_CDN_COOKIE_DOMAIN")
            if let cookieDomain, !isHostName(cookieDomain.hasPrefix(".") ? String(cookieDomain.dropFirst()) : cookieDomain) {
                throw ConfigError(variable: "PRESIGND_CDN_COOKIE_DOMAIN", problem: "expected a domain such as .example.com")
            }
            config.cdn = CDNConfig(domain: domain, pathPattern: pattern, cookieDomain: cookieDomain)
        }
        return config
    }

    static func isHostName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 253 && text.utf8.allSatisfy { byte in
            FileName.isASCIIAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
        }
    }
}
