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
/// | `PRESIGND_MEDIA_PRESETS` | (none) | image sizes `?size=` may ask for, `thumb=64x64:crop,small=256x256,…` (`fit`, the default, keeps the proportions within the box; `crop` fills it); no other size exists |
/// | `PRESIGND_MEDIA_IMAGE_MAX_BYTES` | `10485760` | the largest image a preset is made from (413 beyond); nginx's `image_filter_buffer` must be at least this |
/// | `PRESIGND_MEDIA_IMAGE_MAX_PIXELS` | `16000000` | the most pixels (width × height) an image a preset is made from may have (413 beyond): nginx decodes it whole, 4 bytes a pixel |
package struct MediaConfig: Sendable, Equatable {
    package var prefix: String
    package var ownerPatterns: [OwnerPattern]
    package var urlExpires: Int64
    package var maxAge: Int64
    package var presets: [String: Preset]
    package var imageMaxBytes: Int64
    package var imageMaxPixels: Int

    /// A configured image size: `thumb=64x64:crop`.
    package struct Preset: Sendable, Equatable {
        package enum Mode: String, Sendable {
            /// Within the box, proportions kept (nginx's `image_filter resize`).
            case fit
            /// The box filled, the excess cut off (nginx's `image_filter crop`).
            case crop
        }

        package let width: Int
        package let height: Int
        package let mode: Mode

        package init(width: Int, height: Int, mode: Mode = .fit) {
            self.width = width
            self.height = height
            self.mode = mode
        }

        /// The path nginx's image server serves the preset at: `/resize/256/256`, `/crop/64/64`.
        package var variant: String { "\(mode == .fit ? "resize" : "crop")/\(width)/\(height)" }

        /// `64x64` or `64x64:crop` (with its name before it, from `PRESIGND_MEDIA_PRESETS`).
        package init?(_ text: Substring) {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { return nil }
            let mode = parts.count == 2 ? Mode(rawValue: String(parts[1])) : .fit
            let box = parts[0].split(separator: "x", omittingEmptySubsequences: false)
            guard let mode, box.count == 2, let width = Int(box[0]), let height = Int(box[1]),
                  (1...4096).contains(width), (1...4096).contains(height) else { return nil }
            self.init(width: width, height: height, mode: mode)
        }
    }

    /// Preset names: letters, digits, `-` and `_`, up to 32.
    static func isPresetName(_ name: Substring) -> Bool {
        (1...32).contains(name.utf8.count)
            && name.utf8.allSatisfy { ASCII.isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

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

    package init(prefix: String = "/media", ownerPatterns: [OwnerPattern] = [], urlExpires: Int64 = 60, maxAge: Int64 = 3600,
                presets: [String: Preset] = [:], imageMaxBytes: Int64 = 10 << 20, imageMaxPixels: Int = 16_000_000) {
        self.prefix = prefix
        self.ownerPatterns = ownerPatterns
        self.urlExpires = urlExpires
        self.maxAge = maxAge
        self.presets = presets
        self.imageMaxBytes = imageMaxBytes
        self.imageMaxPixels = imageMaxPixels
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
        for entry in (environment.string("PRESIGND_MEDIA_PRESETS") ?? "").split(separator: ",") {
            let parts = entry.trimmingSpaces().split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, isPresetName(parts[0]), let preset = Preset(parts[1]) else {
                try environment.refuse(ConfigError(variable: "PRESIGND_MEDIA_PRESETS",
                                                   problem: "\"\(entry.prefix(80))\" is not NAME=WIDTHxHEIGHT[:fit|:crop] (a name of letters, digits, - and _; sides 1 to 4096)"))
                continue
            }
            guard config.presets.updateValue(preset, forKey: String(parts[0])) == nil else {
                try environment.refuse(ConfigError(variable: "PRESIGND_MEDIA_PRESETS", problem: "the preset \(parts[0]) is named twice"))
                continue
            }
        }
        config.imageMaxBytes = Int64(try environment.integer("PRESIGND_MEDIA_IMAGE_MAX_BYTES", default: 10 << 20, range: 1024...(256 << 20)))
        config.imageMaxPixels = try environment.integer("PRESIGND_MEDIA_IMAGE_MAX_PIXELS", default: 16_000_000, range: 1...200_000_000)
        return config
    }
}
