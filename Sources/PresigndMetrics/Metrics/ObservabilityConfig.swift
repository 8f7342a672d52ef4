package import PresigndSupport

/// How presignd can be watched: the metrics route's allow-list and table size, the log format
/// and which requests get a log line of their own.
///
/// - `PRESIGND_METRICS_ALLOW`: addresses (CIDR, comma-separated) that may read `GET /metrics`,
///   as nginx gives them in `REMOTE_ADDR`; default loopback only (`127.0.0.0/8,::1`), `off`
///   removes the route.
/// - `PRESIGND_METRICS_SLOTS`: series the shared table holds (default 2048, 256 bytes each).
/// - `PRESIGND_LOG_FORMAT`: `text` (default) or `json` (one object per line).
/// - `PRESIGND_ACCESS_LOG`: `errors` (default: answers with status ≥ 400), `all` or `off`.
package struct ObservabilityConfig: Sendable, Equatable {
    package var metricsAllowed: [IPRange]
    package var metricsSlots: Int
    package var logFormat: String
    package var accessLog: String

    package static let defaultAllowed = "127.0.0.0/8,::1"

    package init(metricsAllowed: [IPRange], metricsSlots: Int = 2048, logFormat: String = "text", accessLog: String = "errors") {
        self.metricsAllowed = metricsAllowed
        self.metricsSlots = metricsSlots
        self.logFormat = logFormat
        self.accessLog = accessLog
    }

    package static func from(_ environment: Environment) throws(ConfigError) -> ObservabilityConfig {
        let allow = environment.string("PRESIGND_METRICS_ALLOW") ?? defaultAllowed
        var allowed: [IPRange] = []
        if allow != "off" {
            for item in allow.split(separator: ",") {
                let text = String(item.trimmingSpaces())
                guard !text.isEmpty else { continue }
                guard let range = IPRange(cidr: text) else {
                    try environment.refuse(ConfigError(variable: "PRESIGND_METRICS_ALLOW",
                                                       problem: "\"\(text.prefix(60))\" is not an address or CIDR range; write e.g. 127.0.0.0/8,10.0.0.5, or off"))
                    continue
                }
                allowed.append(range)
            }
        }
        let slots = try environment.integer("PRESIGND_METRICS_SLOTS", default: 2048, range: 64...65_536)
        var format = environment.string("PRESIGND_LOG_FORMAT") ?? "text"
        if format != "text" && format != "json" {
            try environment.refuse(ConfigError(variable: "PRESIGND_LOG_FORMAT", problem: "must be text or json, not \"\(format.prefix(20))\""))
            format = "text"
        }
        var access = environment.string("PRESIGND_ACCESS_LOG") ?? "errors"
        if !["off", "errors", "all"].contains(access) {
            try environment.refuse(ConfigError(variable: "PRESIGND_ACCESS_LOG", problem: "must be off, errors or all, not \"\(access.prefix(20))\""))
            access = "errors"
        }
        return ObservabilityConfig(metricsAllowed: allowed, metricsSlots: slots, logFormat: format, accessLog: access)
    }
}
