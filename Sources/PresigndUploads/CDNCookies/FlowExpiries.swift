import PresigndHTTP
import PresigndSigning
package import PresigndSupport

/// How long signed permissions live, in seconds. The seed's defaults: uploads and downloads
/// five minutes, CDN cookies one hour. SigV4 allows at most seven days.
package struct FlowExpiries: Sendable, Equatable {
    package static let maximum: Int64 = 7 * 24 * 3600

    package let upload: Int64
    package let download: Int64
    package let cdnCookies: Int64

    /// Each value is held to 1 s…7 days, so no code path can hand out a longer permission
    /// (the environment's values are range-checked with an error before they get here).
    package init(upload: Int64 = 300, download: Int64 = 300, cdnCookies: Int64 = 3600) {
        self.upload = FlowExpiries.bounded(upload)
        self.download = FlowExpiries.bounded(download)
        self.cdnCookies = FlowExpiries.bounded(cdnCookies)
    }

    static func bounded(_ seconds: Int64) -> Int64 { min(max(seconds, 1), maximum) }

    /// From `PRESIGND_UPLOAD_EXPIRES`, `PRESIGND_DOWNLOAD_EXPIRES`, `PRESIGND_CDN_COOKIE_EXPIRES`.
    package static func from(_ environment: Environment) throws(ConfigError) -> FlowExpiries {
        let range = 1...Int(maximum)
        return FlowExpiries(
            upload: Int64(try environment.integer("PRESIGND_UPLOAD_EXPIRES", default: 300, range: range)),
            download: Int64(try environment.integer("PRESIGND_DOWNLOAD_EXPIRES", default: 300, range: range)),
            cdnCookies: Int64(try environment.integer("PRESIGND_CDN_COOKIE_EXPIRES", default: 3600, range: range)))
    }
}
