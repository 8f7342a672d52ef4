#if canImport(Glibc)
import Glibc
#endif
import PresigndApp
import PresigndCore
import PresigndCrypto
import PresigndHTTPClient
import PresigndPostgres
import PresigndStorage

/// The whole application from the environment: JWT authentication, the flows' routes, the
/// PostgreSQL store, the S3 object store and signers, CloudFront cookies when a CDN is set.
/// `serve` calls it in each worker after the fork, so connections are never shared.
/// `bodyLimit` is the serving configuration's (`PRESIGND_BODY_LIMIT` or `serve --body-limit`),
/// so the gateway and the application apply the same limit.
/// `metrics` is the table the supervisor shares with every worker (`Metrics.off` for CGI).
func makeApplication(environment: [String: String], bodyLimit: Int, metrics: Metrics) throws -> Application {
    let env = Environment(environment, readFile: { readWholeFile($0) })
    let observability = try ObservabilityConfig.from(env)
    let logger = Logger(sink: { writeOut($0 + "\n", to: 2) }, throttle: LogThrottle(clock: WallClock(), interval: 10),
                        format: Logger.Format(rawValue: observability.logFormat) ?? .text,
                        requests: Logger.Requests(rawValue: observability.accessLog) ?? .errors)
    return try AppWiring.makeApplication(environment: env, bodyLimit: bodyLimit, logger: logger, metrics: metrics,
                                         metricsAllowed: observability.metricsAllowed)
}

enum AppWiring {
    static func makeApplication(environment env: Environment, bodyLimit: Int, logger: Logger, metrics: Metrics = .off,
                                metricsAllowed: [IPRange] = []) throws -> Application {
        let clock = WallClock()
        let jwt = try JWTConfig.load(env)
        let authenticator = jwt.makeAuthenticator(fetch: jwksFetch(HTTPClient(maxResponseBytes: 512 * 1024)),
                                                  log: { logger.warning($0) })
        let flows = try FlowsConfig.from(env)
        let s3Flow = try s3Signer(env)
        let s3 = CountingURLSigner(s3Flow, metrics: metrics)
        let pool = PostgresPool(settings: try PostgresSettings.from(env), observer: poolObserver(metrics, worker: env.string("PRESIGND_WORKER_SLOT") ?? "0", logger: logger))
        let store = CountingDocumentStore(PostgresDocumentStore(pool: pool,
                                                                logger: logger, metrics: metrics, tracksUsage: flows.quotasEnabled),
                                          metrics: metrics)
        let objects = S3ObjectStore(bucket: s3Flow.bucket, signer: s3Flow.requestSigner, client: HTTPClient(), clock: clock,
                                    logger: logger, metrics: metrics)

        var routes = HealthRoutes.routes() + ReadinessRoutes.routes(store: store)
        routes += OpenAPIRoutes.routes()
        routes += MetricsRoutes.routes(metrics: metrics, allowed: metricsAllowed)
        let uploads = UploadFlow(config: flows, store: store, objects: objects, signer: s3)
        routes += uploads.routes
        routes += UppyFlow(uploads: uploads, bucket: s3Flow.bucket).routes
        routes += DocumentFlow(config: flows, store: store, objects: objects, signer: s3).routes
        if let cdn = flows.cdn {
            routes += CDNCookieFlow(cdn: cdn, lifetime: flows.expiries.cdnCookies, signer: CountingCookieSigner(try cloudFrontSigner(env), metrics: metrics),
                                   store: store).routes
            routes += MediaFlow(config: try MediaConfig.from(env), cdn: cdn, verifier: try cloudFrontVerifier(env),
                                signer: s3, authenticator: authenticator, logger: logger).routes
        }
        let cors = CORSMiddleware(config: try CORSConfig.from(env), allowCredentials: jwt.cookieName != nil,
                                  methods: { [router = Router(routes)] in router.methods(for: $0) })
        return Application(routes: routes, authenticator: authenticator, scopes: jwt.scopes,
                           clock: clock, limits: RequestLimits(maxBodyBytes: bodyLimit), middleware: [cors], logger: logger,
                           metrics: metrics)
    }

    /// The pool's hooks on this worker's series: connections in use (set to 0 when a worker
    /// takes over a slot, so a dead worker's count does not linger) and connections opened.
    /// The server's notices go to the log as the logger's own lines (one JSON object each in
    /// JSON mode), not as libpq's raw text on stderr.
    static func poolObserver(_ metrics: Metrics, worker: String, logger: Logger) -> PoolObserver {
        let notice = databaseNotices(logger)
        guard metrics.isEnabled else { return PoolObserver(notice: notice) }
        metrics.set(Metrics.Families.dbInUse, [("worker", worker)], to: 0)
        let inUse = metrics.series(Metrics.Families.dbInUse, [("worker", worker)])
        let opened = metrics.series(Metrics.Families.dbOpened)
        return PoolObserver(lent: { inUse.add(1) }, returned: { inUse.add(-1) }, opened: { opened.add(1) }, notice: notice)
    }

    /// `database warning: terminating connection due to immediate shutdown`, at the notice's level.
    static func databaseNotices(_ logger: Logger) -> @Sendable (PostgresNotice) -> Void {
        { notice in
            let level: Logger.Level = ["WARNING", "ERROR", "FATAL", "PANIC"].contains(notice.severity) ? .warning : .info
            logger.log(level, "database \(notice.severity.lowercased()): \(notice.message)")
        }
    }

    /// The flows' signer for the bucket and endpoint `S3Config` resolves.
    static func s3Signer(_ env: Environment) throws -> S3FlowSigner {
        let s3 = try S3Config.from(env)
        return S3FlowSigner(bucket: s3.bucket ?? "", endpoint: s3.endpoint, credentials: s3.credentials)
    }

    /// The keys whose cookies the media route accepts: the signing key, and during a rotation
    /// the keys of `PRESIGND_CLOUDFRONT_TRUSTED_KEYS` (`KEYID=/path/key.pem,…`, public or private PEM).
    static func cloudFrontVerifier(_ env: Environment) throws -> CloudFrontVerifier {
        var keys: [String: AsymmetricKey] = [:]
        if let id = env.string("PRESIGND_CLOUDFRONT_KEY_PAIR_ID"), let path = env.string("PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE"),
           let pem = readWholeFile(path) {
            keys[id] = try? AsymmetricKey.privateKey(pem: pem)
        }
        for entry in (env.string("PRESIGND_CLOUDFRONT_TRUSTED_KEYS") ?? "").split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1).map { String($0.trimmingSpaces()) }
            guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.allSatisfy({ FileName.isASCIIAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }) else {
                throw ConfigError(variable: "PRESIGND_CLOUDFRONT_TRUSTED_KEYS", problem: "expected KEYID=/path/public.pem, comma-separated")
            }
            guard let pem = readWholeFile(parts[1]) else {
                throw ConfigError(variable: "PRESIGND_CLOUDFRONT_TRUSTED_KEYS", problem: "cannot read \(parts[1])")
            }
            guard let key = (try? AsymmetricKey.publicKey(pem: pem)) ?? (try? AsymmetricKey.privateKey(pem: pem)) else {
                throw ConfigError(variable: "PRESIGND_CLOUDFRONT_TRUSTED_KEYS", problem: "\(parts[1]) is not a PEM public key, certificate or private key")
            }
            keys[parts[0]] = key
        }
        return CloudFrontVerifier(keys: keys)
    }

    /// `PRESIGND_CLOUDFRONT_KEY_PAIR_ID` and the PEM at `PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE`.
    static func cloudFrontSigner(_ env: Environment) throws -> CloudFrontCookieSigner {
        guard let keyPairID = env.string("PRESIGND_CLOUDFRONT_KEY_PAIR_ID") else {
            throw ConfigError(variable: "PRESIGND_CLOUDFRONT_KEY_PAIR_ID", problem: "required when PRESIGND_CDN_DOMAIN is set")
        }
        guard let path = env.string("PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE") else {
            throw ConfigError(variable: "PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE", problem: "required when PRESIGND_CDN_DOMAIN is set")
        }
        guard let pem = readWholeFile(path) else {
            throw ConfigError(variable: "PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE", problem: "cannot read the file \(path)")
        }
        do {
            return CloudFrontCookieSigner(signer: try CloudFrontSigner(keyPairID: keyPairID, privateKeyPEM: pem))
        } catch {
            throw ConfigError(variable: "PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE", problem: "\(error)")
        }
    }
}
