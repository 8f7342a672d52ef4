#if canImport(Glibc)
import Glibc
#endif
import PresigndApp
import PresigndFastCGI
import PresigndCrypto
import PresigndHTTP
import PresigndJWT
import PresigndMetrics
import PresigndPostgres
import PresigndSigning
import PresigndStorage
import PresigndSupport
import PresigndUploads

/// The whole configuration as one value, loaded once from the environment (overlaid with
/// `PRESIGND_ENV_FILE`) and `serve`'s flags. Loading collects the error of every variable that
/// is wrong, not just the first; `check-config` prints exactly `sections` and those errors,
/// and `serve` refuses (78, before any fork) exactly what `check-config` refuses.
struct PresigndConfig {
    var server: ServerConfig
    let observability: ObservabilityConfig
    let jwt: JWTConfig
    let s3: S3Config
    let database: PostgresSettings
    /// The replica the read-only routes use, when `PRESIGND_DATABASE_READ_URL` names one.
    let readReplica: ReadReplicaConfig?
    let flows: FlowsConfig
    let cors: CORSConfig
    /// Loaded when a CDN is configured (`PRESIGND_CDN_DOMAIN`).
    let cloudFront: CloudFrontConfig?
    let media: MediaConfig
    /// Events (the outbox) and the webhook endpoints they are delivered to.
    let webhooks: WebhookConfig
    /// Months of audit log `sweep` keeps (0: forever).
    let auditRetentionMonths: Int
    /// What `check-config` prints: each section's variables with their effective values.
    let sections: [Section]
    /// The variables it was loaded from (for what reads them afresh, such as a worker after SIGHUP).
    let environment: Environment

    struct Section {
        let title: String
        let entries: [ConfigEntry]
    }

    /// Every variable that failed to load, each error naming its variable.
    struct Invalid: Error, CustomStringConvertible {
        let sections: [Section]
        let errors: [String]
        var description: String { errors.joined(separator: "\n") }
    }

    /// The process environment overlaid with `PRESIGND_ENV_FILE` when one is named.
    static func variables() throws(ConfigError) -> [String: String] {
        var variables = ProcessEnvironment.current()
        guard let path = variables["PRESIGND_ENV_FILE"], !path.isEmpty else { return variables }
        guard let text = readWholeFile(path) else {
            throw ConfigError(variable: "PRESIGND_ENV_FILE", problem: "cannot read \(path)")
        }
        variables.merge(try EnvironmentFile.parse(text, path: path)) { _, fromFile in fromFile }
        return variables
    }

    static var cpuCount: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// The process's configuration with `serve`'s flags.
    package static func load(arguments: [String] = []) throws(Invalid) -> PresigndConfig {
        let variables: [String: String]
        do { variables = try self.variables() } catch {
            throw Invalid(sections: [], errors: ["\(error)"])
        }
        return try load(variables, arguments: arguments, cpuCount: cpuCount)
    }

    package static func load(_ variables: [String: String], arguments: [String], cpuCount: Int) throws(Invalid) -> PresigndConfig {
        let problems = ConfigProblems()
        // A bad value is reported to `problems` and its default used, so one section goes on to
        // name every bad variable it reads; what a section still throws is a problem of its own.
        let env = Environment(variables, readFile: { readWholeFile($0) }, reportingTo: problems)
        var sections: [Section] = []
        var errors: [String] = []
        /// Loads one section: every problem it reports or throws is collected, and the others still load.
        func section<T>(_ title: String, _ load: () throws -> T, entries: (T) -> [ConfigEntry]) -> T? {
            var value: T?
            do { value = try load() } catch let error as ConfigError {
                problems.report(error)  // unless its variable is named already
            } catch {
                problems.report(ConfigError(variable: title, problem: "\(error)"))
            }
            let found = problems.take().map { "\($0)" }
            if let value, found.isEmpty {
                sections.append(Section(title: title, entries: entries(value)))
                return value
            }
            errors += found
            sections.append(Section(title: title, entries: found.map { ConfigEntry("error", $0) }))
            return nil
        }

        let server = section("server", { try ServerConfig.parse(environment: env, arguments: arguments, cpuCount: cpuCount) },
                             entries: { $0.entries + [ConfigEntry("PRESIGND_ENV_FILE", env.string("PRESIGND_ENV_FILE"))] })
        let observability = section("observability", { try ObservabilityConfig.from(env) }) { config in [
            ConfigEntry("PRESIGND_METRICS_ALLOW", config.metricsAllowed.isEmpty ? "off (no /metrics route)"
                        : env.string("PRESIGND_METRICS_ALLOW") ?? ObservabilityConfig.defaultAllowed),
            ConfigEntry("PRESIGND_METRICS_SLOTS", "\(config.metricsSlots) series"),
            ConfigEntry("PRESIGND_LOG_FORMAT", config.logFormat),
            ConfigEntry("PRESIGND_ACCESS_LOG", config.accessLog),
        ] }
        let jwt = section("jwt", { try JWTConfig.load(env) }, entries: \.entries)
        let s3 = section("s3", { try S3Config.from(env) }) { s3 in
            s3.entries + [
                ConfigEntry("AWS_DEFAULT_REGION", env.string("AWS_DEFAULT_REGION") ?? "(unset: AWS_REGION decides)"),
                ConfigEntry("AWS_ENDPOINT_URL", env.string("AWS_ENDPOINT_URL") ?? "(unset: AWS_ENDPOINT_URL_S3 decides)"),
                ConfigEntry("AWS_PROFILE", env.string("AWS_ACCESS_KEY_ID") != nil ? "(not read: keys from the environment)"
                            : env.string("AWS_PROFILE") ?? "default"),
            ]
        }
        let database = section("database", { () throws -> (PostgresSettings, ReadReplicaConfig?) in
            let settings = try PostgresSettings.from(env)
            return (settings, try ReadReplicaConfig.from(env, primary: settings))
        }) { settings, replica in [
            ConfigEntry("DATABASE_URL", env.string("DATABASE_URL").map(ConnectionString.masked)),
            ConfigEntry("PGHOST", env.string("PGHOST")),
            ConfigEntry("PGDATABASE", env.string("PGDATABASE")),
            ConfigEntry("PGUSER", env.string("PGUSER")),
            ConfigEntry("PGPASSWORD", env.string("PGPASSWORD"), secret: true),
            ConfigEntry("PGCONNECT_TIMEOUT", "\(settings.connectTimeoutSeconds) s"),
            ConfigEntry("PRESIGND_DB_STATEMENT_TIMEOUT_MS", "\(settings.statementTimeoutMilliseconds) ms"),
            ConfigEntry("PRESIGND_DB_POOLER", settings.pooler.rawValue),
            ConfigEntry("PRESIGND_DATABASE_READ_URL", env.string("PRESIGND_DATABASE_READ_URL").map(ConnectionString.masked)
                        ?? "(unset: every read on the primary)"),
            ConfigEntry("PRESIGND_DATABASE_READ_MAX_LAG_MS", "\(replica?.maxLagMilliseconds ?? 1_000) ms"),
        ] }
        let flows = section("flows", { try FlowsConfig.from(env) }) { flows in
            flows.purposes.all.map { purpose in
                ConfigEntry("purpose \(purpose.name)",
                            "prefix \(purpose.prefix)/, at most \(purpose.maxSize) bytes, types \(purpose.allowedTypePrefix.isEmpty ? "any" : purpose.allowedTypePrefix + "*")"
                                + (purpose.quota.map { ", quota \($0.maxFiles.map { "\($0) files" } ?? "any files") / \($0.maxBytes.map { "\($0) bytes" } ?? "any bytes")" } ?? ""))
            } + [
                ConfigEntry("PRESIGND_PURPOSES", env.string("PRESIGND_PURPOSES") != nil || env.string("PRESIGND_PURPOSES_FILE") != nil
                            ? "(the purposes above)" : "(unset: the default purposes above)"),
                ConfigEntry("PRESIGND_QUOTA_FILES", env.string("PRESIGND_QUOTA_FILES") ?? "(no default quota)"),
                ConfigEntry("PRESIGND_QUOTA_BYTES", env.string("PRESIGND_QUOTA_BYTES") ?? "(no default quota)"),
                ConfigEntry("PRESIGND_UPLOAD_EXPIRES", "\(flows.expiries.upload) s"),
                ConfigEntry("PRESIGND_DOWNLOAD_EXPIRES", "\(flows.expiries.download) s"),
                ConfigEntry("PRESIGND_STORE_PROFILE", flows.store.name),
                ConfigEntry("PRESIGND_STORE_POST_POLICY", flows.store.postPolicies ? "true (presigned POST forms)" : "false (presigned PUT with the exact length)"),
                ConfigEntry("PRESIGND_MULTIPART_PART_SIZE", "\(flows.partSize) bytes"),
                ConfigEntry("PRESIGND_UPPY_PREFIX", flows.uppy.prefix),
                ConfigEntry("PRESIGND_UPPY_PURPOSE", flows.uppy.defaultPurpose),
                ConfigEntry("PRESIGND_SWEEP_AFTER", "\(flows.sweepAfter) s"),
            ]
        }
        let cors = section("cors", { try CORSConfig.from(env) }) { cors in [
            ConfigEntry("PRESIGND_CORS_ORIGINS", cors.origins.isEmpty ? "(none: same-origin pages only)" : cors.origins.joined(separator: ",")),
            ConfigEntry("PRESIGND_CORS_MAX_AGE", "\(cors.maxAge) s"),
        ] }
        // Loaded whenever a CDN is named, even when the flows section failed, so its keys are checked too.
        let cloudFront = section("cdn", { env.string("PRESIGND_CDN_DOMAIN") == nil ? nil : try CloudFrontConfig.load(env) }) { cloudFront in
            guard let cdn = flows?.cdn, let flows, let cloudFront else {
                return [ConfigEntry("PRESIGND_CDN_DOMAIN", "(unset: no CDN cookie or media routes)")]
            }
            return [
                ConfigEntry("PRESIGND_CDN_DOMAIN", cdn.domain),
                ConfigEntry("PRESIGND_CDN_PATH_PATTERN", cdn.pathPattern),
                ConfigEntry("PRESIGND_CDN_COOKIE_DOMAIN", cdn.cookieDomain),
                ConfigEntry("PRESIGND_CDN_COOKIE_EXPIRES", "\(flows.expiries.cdnCookies) s"),
            ] + cloudFront.entries
        }
        let media = section("media", { try MediaConfig.from(env) }) { media in [
            ConfigEntry("PRESIGND_MEDIA_PREFIX", media.prefix),
            ConfigEntry("PRESIGND_MEDIA_OWNER_PATHS", env.string("PRESIGND_MEDIA_OWNER_PATHS") ?? "(none: every path is shared by its cookies)"),
            ConfigEntry("PRESIGND_MEDIA_URL_EXPIRES", "\(media.urlExpires) s"),
            ConfigEntry("PRESIGND_MEDIA_MAX_AGE", "\(media.maxAge) s"),
            ConfigEntry("PRESIGND_MEDIA_PRESETS", media.presets.isEmpty ? "(none: no ?size= exists)"
                        : media.presets.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.width)x\($0.value.height):\($0.value.mode.rawValue)" }.joined(separator: ",")),
            ConfigEntry("PRESIGND_MEDIA_IMAGE_MAX_BYTES", "\(media.imageMaxBytes) bytes"),
            ConfigEntry("PRESIGND_MEDIA_IMAGE_MAX_PIXELS", "\(media.imageMaxPixels) pixels"),
        ] }
        let webhooks = section("events", { () throws -> WebhookConfig in
            let webhooks = try WebhookConfig.from(env)
            if let purposes = flows?.purposes {
                for endpoint in webhooks.endpoints {
                    for name in (endpoint.purposes ?? []).sorted() where purposes[name] == nil {
                        try env.refuse(ConfigError(variable: "PRESIGND_WEBHOOKS",
                                                   problem: "endpoint \"\(endpoint.name)\": \"\(name.prefix(64))\" is not one of the configured purposes"))
                    }
                }
            }
            return webhooks
        }, entries: \.entries)
        let retention = section("audit", { try env.integer("PRESIGND_AUDIT_RETENTION_MONTHS", default: 0, range: 0...1200) }) { months in
            [ConfigEntry("PRESIGND_AUDIT_RETENTION_MONTHS", months == 0 ? "0 (keep forever)" : "\(months) months")]
        }

        guard errors.isEmpty, let server, let observability, let jwt, let s3, let database, let flows, let cors,
              let cloudFront, let media, let webhooks, let retention else {
            throw Invalid(sections: sections, errors: errors)
        }
        return PresigndConfig(server: server, observability: observability, jwt: jwt, s3: s3, database: database.0, readReplica: database.1,
                              flows: flows,
                              cors: cors, cloudFront: cloudFront, media: media, webhooks: webhooks, auditRetentionMonths: retention,
                              sections: sections, environment: env.throwing)
    }

    /// The lines `check-config` prints for `sections`.
    static func render(_ sections: [Section]) -> String {
        sections.map { section in
            (["[\(section.title)]"] + section.entries.map { "  \($0.variable) = \($0.value)" }).joined(separator: "\n")
        }.joined(separator: "\n") + "\n"
    }
}
