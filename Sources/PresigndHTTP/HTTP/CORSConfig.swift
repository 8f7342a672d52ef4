package import PresigndSupport

/// The browser origins of the app (`PRESIGND_CORS_ORIGINS`, comma-separated, such as
/// `https://app.example.com,http://localhost:5173`): `bucket-setup` lets them upload to the
/// bucket, and the API answers their preflights. Each is an exact origin, as a browser sends it
/// in `Origin`: a scheme, a host and an optional port, no path; `*` is refused because the API
/// may use cookies.
package struct CORSConfig: Sendable, Equatable {
    package let origins: [String]
    /// Seconds a browser may cache a preflight (`PRESIGND_CORS_MAX_AGE`, default 3600).
    package let maxAge: Int

    package init(origins: [String], maxAge: Int = 3600) {
        self.origins = origins
        self.maxAge = maxAge
    }

    package func allows(_ origin: String) -> Bool { origins.contains(origin) }

    package static func from(_ environment: Environment) throws(ConfigError) -> CORSConfig {
        var origins: [String] = []
        for item in (environment.string("PRESIGND_CORS_ORIGINS") ?? "").split(separator: ",") {
            let origin = String(item.trimmingSpaces())
            guard !origin.isEmpty else { continue }
            guard isOrigin(origin) else {
                try environment.refuse(ConfigError(
                    variable: "PRESIGND_CORS_ORIGINS",
                    problem: "\"\(origin.prefix(100))\" is not an origin; write each as scheme://host[:port], such as https://app.example.com"))
                continue
            }
            if !origins.contains(origin) { origins.append(origin) }
        }
        let maxAge = try environment.integer("PRESIGND_CORS_MAX_AGE", default: 3600, range: 0...86_400)
        return CORSConfig(origins: origins, maxAge: maxAge)
    }

    static func isOrigin(_ text: String) -> Bool {
        let parts = text.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == "https" || parts[0] == "http" else { return false }
        let authority = parts[1]
        guard !authority.isEmpty, !authority.hasSuffix(":") else { return false }
        return authority.utf8.allSatisfy { byte in
            ASCII.isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
                || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]")
        }
    }
}
