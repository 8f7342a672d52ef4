#if canImport(Glibc)
import Glibc
#endif
import PresigndApp
import PresigndCore
import PresigndPostgres
import PresigndStorage

/// `presignd check-config`: loads every part of the configuration exactly as `serve` does,
/// prints the effective values with secrets masked, and exits 78 (EX_CONFIG) naming each
/// variable that is wrong. Nothing is contacted: no database, store or JWKS URL.
enum CheckConfigCommand {
    static func run(_ arguments: [String]) -> Int32 {
        // The same variables serve's workers see: the process environment overlaid with
        // PRESIGND_ENV_FILE when one is named.
        let variables: [String: String]
        do {
            variables = try ServeCommand.reloadableVariables()
        } catch {
            writeError("\(error)")
            return 78
        }
        let env = Environment(variables, readFile: { readWholeFile($0) })
        var problems: [String] = []
        var lines: [String] = []

        func section(_ title: String, _ load: () throws -> [ConfigEntry]) {
            lines.append("[\(title)]")
            do {
                for entry in try load() { lines.append("  \(entry.variable) = \(entry.value)") }
            } catch {
                problems.append("\(error)")
                lines.append("  error: \(error)")
            }
        }

        section("server") {
            try ServerConfig.parse(environment: env, arguments: arguments,
                                   cpuCount: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))).entries
        }
        section("jwt") { try JWTConfig.load(env).entries }
        section("s3") { try S3Config.from(env).entries }
        section("flows") {
            let flows = try FlowsConfig.from(env)
            var entries = flows.purposes.all.map { purpose in
                ConfigEntry("purpose \(purpose.name)",
                            "prefix \(purpose.prefix)/, at most \(purpose.maxSize) bytes, types \(purpose.allowedTypePrefix.isEmpty ? "any" : purpose.allowedTypePrefix + "*")")
            }
            entries += [
                ConfigEntry("PRESIGND_UPLOAD_EXPIRES", "\(flows.expiries.upload) s"),
                ConfigEntry("PRESIGND_DOWNLOAD_EXPIRES", "\(flows.expiries.download) s"),
                ConfigEntry("PRESIGND_CDN_COOKIE_EXPIRES", "\(flows.expiries.cdnCookies) s"),
                ConfigEntry("PRESIGND_CDN_DOMAIN", flows.cdn?.domain ?? "(unset: no CDN cookie routes)"),
            ]
            if let cdn = flows.cdn {
                _ = try AppWiring.cloudFrontSigner(env)
                entries += [
                    ConfigEntry("PRESIGND_CDN_PATH_PATTERN", cdn.pathPattern),
                    ConfigEntry("PRESIGND_CDN_COOKIE_DOMAIN", cdn.cookieDomain),
                    ConfigEntry("PRESIGND_CLOUDFRONT_KEY_PAIR_ID", env.string("PRESIGND_CLOUDFRONT_KEY_PAIR_ID")),
                    ConfigEntry("PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE", env.string("PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE")),
                ]
            }
            return entries
        }
        section("database") {
            let settings = try PostgresSettings.from(env)
            return [
                ConfigEntry("DATABASE_URL", env.string("DATABASE_URL").map(ConnectionString.masked)),
                ConfigEntry("PGHOST", env.string("PGHOST")),
                ConfigEntry("PGDATABASE", env.string("PGDATABASE")),
                ConfigEntry("PGUSER", env.string("PGUSER")),
                ConfigEntry("PGPASSWORD", env.string("PGPASSWORD"), secret: true),
                ConfigEntry("PGCONNECT_TIMEOUT", "\(settings.connectTimeoutSeconds) s"),
                ConfigEntry("PRESIGND_DB_STATEMENT_TIMEOUT_MS", "\(settings.statementTimeoutMilliseconds) ms"),
            ]
        }
        section("observability") {
            let config = try ObservabilityConfig.from(env)
            return [
                ConfigEntry("PRESIGND_METRICS_ALLOW", config.metricsAllowed.isEmpty ? "off (no /metrics route)"
                            : env.string("PRESIGND_METRICS_ALLOW") ?? ObservabilityConfig.defaultAllowed),
                ConfigEntry("PRESIGND_METRICS_SLOTS", "\(config.metricsSlots) series"),
                ConfigEntry("PRESIGND_LOG_FORMAT", config.logFormat),
                ConfigEntry("PRESIGND_ACCESS_LOG", config.accessLog),
            ]
        }

        writeOut(lines.joined(separator: "\n") + "\n")
        guard problems.isEmpty else {
            for problem in problems { writeError(problem) }
            return 78
        }
        writeOut("configuration OK\n")
        return 0
    }
}
