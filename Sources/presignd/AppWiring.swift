#if canImport(Glibc)
import Glibc
#endif
import PresigndApp
import PresigndFastCGI
import PresigndHTTP
import PresigndHTTPClient
import PresigndJWT
import PresigndMetrics
import PresigndPostgres
import PresigndSigning
import PresigndStorage
import PresigndSupport
import PresigndUploads

/// The whole application from the configuration: JWT authentication, the flows' routes, the
/// PostgreSQL store, the S3 object store and signers, CloudFront cookies and the media route when
/// a CDN is set. `serve` calls it in each worker after the fork, so connections are never shared.
/// `metrics` is the table the supervisor shares with every worker (`Metrics.off` for CGI).
enum AppWiring {
    /// `serving`: a long-lived worker, which watches the read replica (a CGI process answers one
    /// request and reads from the primary: a watcher would only open a connection it never uses).
    static func makeApplication(_ config: PresigndConfig, metrics: Metrics, serving: Bool) throws -> Application {
        let observability = config.observability
        let logger = self.logger(config)
        let clock = WallClock()
        let jwt = config.jwt
        let flows = config.flows
        let s3Flow = s3Signer(config.s3)
        let s3 = CountingURLSigner(s3Flow, metrics: metrics)
        let pool = PostgresPool(settings: config.database,
                                observer: poolObserver(metrics, worker: config.environment.string("PRESIGND_WORKER_SLOT") ?? "0", logger: logger))
        let store = CountingDocumentStore(PostgresDocumentStore(pool: pool, logger: logger, metrics: metrics, bucket: s3Flow.bucket,
                                                                events: eventOutbox(config.webhooks), reads: serving ? replicaReads(config, logger: logger) : nil),
                                          metrics: metrics)
        let objects = objectStore(s3Flow, logger: logger, metrics: metrics)
        let revocations = self.revocations(config, pool: pool, logger: logger, watching: serving)
        let authenticator = RevokingAuthenticator(jwt.makeAuthenticator(fetch: jwksFetch(HTTPClient(maxResponseBytes: 512 * 1024)),
                                                                        log: { logger.warning($0) }),
                                                  revocations: revocations, log: { logger.warning($0) })

        var routes = HealthRoutes.routes() + ReadinessRoutes.routes(store: store)
        routes += OpenAPIRoutes.routes()
        routes += MetricsRoutes.routes(metrics: metrics, allowed: observability.metricsAllowed)
        let uploads = UploadFlow(config: flows, store: store, objects: objects, signer: s3)
        routes += uploads.routes
        routes += UppyFlow(uploads: uploads, bucket: s3Flow.bucket, objectURL: { [s3Flow] in s3Flow.objectURL(key: $0) }).routes
        routes += DocumentFlow(config: flows, store: store, objects: objects, signer: s3).routes
        routes += RevocationFlow(store: revocations).routes
        if let cdn = flows.cdn, let cloudFront = config.cloudFront {
            let session = MediaSessionCookie(keys: cloudFront.privateKeyPEMs.map(MediaSessionCookie.key(fromPrivateKeyPEM:)))
            routes += CDNCookieFlow(cdn: cdn, lifetime: flows.expiries.cdnCookies,
                                   signer: CountingCookieSigner(CloudFrontCookieSigner(signer: cloudFront.signer), metrics: metrics),
                                   store: store, session: session, revocations: revocations, keyPairID: cloudFront.signer.keyPairID).routes
            routes += MediaFlow(config: config.media, cdn: cdn, verifier: cloudFront.verifier, session: session, revocations: revocations,
                                signer: s3, objects: objects, authenticator: authenticator, logger: logger, metrics: metrics).routes
        }
        let cors = CORSMiddleware(config: config.cors, allowCredentials: jwt.cookieName != nil,
                                  methods: { [router = Router(routes)] in router.methods(for: $0) })
        return Application(routes: routes, authenticator: authenticator, scopes: jwt.scopes,
                           clock: clock, limits: RequestLimits(maxBodyBytes: config.server.bodyLimit), middleware: [cors], logger: logger,
                           metrics: metrics)
    }

    /// The revocations every request is checked against, read before the first request; a
    /// serving worker keeps them current on a thread of its own (`LISTEN`), a CGI process (one
    /// request) needs only the first read.
    static func revocations(_ config: PresigndConfig, pool: PostgresPool, logger: Logger, watching: Bool) -> PostgresRevocations {
        let revocations = PostgresRevocations(pool: pool, settings: config.database, logger: logger)
        do {
            try revocations.load()
        } catch {
            logger.error("revocations: cannot read them (\(error.logged)); \(watching ? "the watcher reads them once the database answers" : "none applies to this request")")
        }
        if watching, !Threads.start({ revocations.watch() }) { logger.error("cannot start the revocation watcher: revocations made from now on do not reach this worker") }
        return revocations
    }

    /// The replica's pool and its watcher (a thread of this worker), when one is configured.
    static func replicaReads(_ config: PresigndConfig, logger: Logger) -> ReplicaReads? {
        guard let replica = config.readReplica else { return nil }
        let reads = ReplicaReads(settings: replica.settings, maxLagMilliseconds: replica.maxLagMilliseconds,
                                 observer: PoolObserver(notice: databaseNotices(logger)))
        if !Threads.start({ reads.watch() }) { logger.error("cannot start the read replica's watcher: every read goes to the primary") }
        return reads
    }

    /// How serve's and sweep's stores write events: nil when events are off.
    static func eventOutbox(_ webhooks: WebhookConfig) -> EventOutbox? {
        webhooks.eventsEnabled ? EventOutbox(endpoints: webhooks.endpoints) : nil
    }

    /// The log as `PRESIGND_LOG_FORMAT` and `PRESIGND_ACCESS_LOG` say, on stderr.
    static func logger(_ config: PresigndConfig) -> Logger {
        Logger(sink: Logger.standardError, throttle: LogThrottle(clock: WallClock(), interval: 10),
               format: Logger.Format(rawValue: config.observability.logFormat) ?? .text,
               requests: Logger.Requests(rawValue: config.observability.accessLog) ?? .errors)
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

    /// The S3 adapter for the signer's bucket: serve, sweep and bucket-setup make theirs here.
    static func objectStore(_ signer: S3URLSigner, logger: Logger, metrics: Metrics = .off) -> S3ObjectStore {
        S3ObjectStore(bucket: signer.bucket, signer: signer.requestSigner, client: HTTPClient(), clock: WallClock(), logger: logger,
                      metrics: metrics)
    }

    /// The flows' signer for the bucket and endpoint `S3Config` resolves.
    static func s3Signer(_ s3: S3Config) -> S3URLSigner {
        S3URLSigner(bucket: s3.bucket ?? "", endpoint: s3.endpoint, credentials: s3.credentials)
    }
}
