#if canImport(Glibc)
import Glibc
#endif
import PresigndApp
import PresigndFastCGI
import PresigndHTTP
import PresigndJWT
import PresigndMetrics
import PresigndSigning
import PresigndStorage
import PresigndSupport

/// `presignd serve [--listen …] [--socket-mode 0660] [--workers N] [--threads N] …`, and what a
/// bare `presignd` does when a web server, spawn-fcgi or systemd starts it.
enum ServeCommand: Command {
    /// `serve` with flags: FastCGI on the given or inherited socket. The whole configuration is
    /// loaded and checked here, before the first fork: an invalid one exits 78 naming every
    /// wrong variable, never as workers that fail and restart.
    static func run(_ arguments: [String], environment: Environment) -> Int32 {
        guard let config = loadOrReport(arguments: arguments) else { return 78 }
        return serve(config, arguments: arguments)
    }

    /// No subcommand: CGI when started as a CGI program, FastCGI on fd 0 or systemd's socket.
    static func runDetected() -> Int32 {
        switch Server.detectStartMode() {
        case .cgi:
            // One request per process: an invalid configuration is logged and answered 500.
            let config = loadOrReport(arguments: [])
            return Server.runCGI(config: config?.server ?? ServerConfig(), makeHandler: {
                guard let config else { throw ConfigError(variable: "environment", problem: "the configuration is invalid") }
                return try makeHandler(config, metrics: .off, serving: false)
            })
        case .systemdSocket, .inheritedSocket:
            guard var config = loadOrReport(arguments: []) else { return 78 }
            config.server.listen = .inherited
            return serve(config, arguments: [])
        case .unknown:
            Output.err("presignd: not started by a web server (no CGI environment, no inherited socket)\n\n\(Usage.text)")
            return 2
        }
    }

    static func loadOrReport(arguments: [String]) -> PresigndConfig? {
        do {
            return try PresigndConfig.load(arguments: arguments)
        } catch {
            for problem in error.errors { Output.err("presignd serve: \(problem)") }
            return nil
        }
    }

    /// The log format and the metrics table are set up once before the first fork (a reload
    /// keeps both: the table is shared memory its workers inherit). A SIGHUP's new workers
    /// read the configuration afresh, once the supervisor has checked it.
    static func serve(_ config: PresigndConfig, arguments: [String]) -> Int32 {
        ServerLog.json = config.observability.logFormat == "json"
        let metrics = config.observability.metricsAllowed.isEmpty ? Metrics.off
            : Metrics(table: SharedMetrics.map(slots: config.observability.metricsSlots))
        let listen = config.server.listen
        return Server.run(config: config.server, metrics: metrics, checkReload: {
            do throws(PresigndConfig.Invalid) {
                _ = try PresigndConfig.load(arguments: arguments)
                return nil
            } catch {
                return error.errors.joined(separator: "; ")
            }
        }, makeHandler: {
            // Runs in every worker after the fork: `*_FILE` secrets and `PRESIGND_ENV_FILE` are read again.
            var fresh = try PresigndConfig.load(arguments: arguments)
            fresh.server.listen = listen
            let handler = try makeHandler(fresh, metrics: metrics, serving: true)
            startDelivery(fresh, metrics: metrics)
            return handler
        })
    }

    /// The webhook deliverer runs in the worker of slot 0 (restarted with it), on its own thread
    /// and connection; across hosts its advisory lock lets one deliver at a time. Not when
    /// `PRESIGND_WEBHOOK_DELIVERY=separate` (a `presignd deliver` unit delivers) or no endpoint is set.
    static func startDelivery(_ config: PresigndConfig, metrics: Metrics) {
        let webhooks = config.webhooks
        guard !webhooks.endpoints.isEmpty, webhooks.deliversInServe, config.environment.string("PRESIGND_WORKER_SLOT") == "0" else { return }
        let logger = AppWiring.logger(config)
        let deliverer = EventDeliverer(settings: config.database, config: webhooks, logger: logger, metrics: metrics)
        if !Threads.start({ deliverer.run() }) { logger.error("cannot start the webhook deliverer's thread") }
    }

    static func makeHandler(_ config: PresigndConfig, metrics: Metrics, serving: Bool) throws -> RequestHandler {
        let application = try AppWiring.makeApplication(config, metrics: metrics, serving: serving)
        let handler: RequestHandler = { application.handle($0) }
        return try TestDelay.enabled(in: config.environment) ? TestDelay.wrap(handler) : handler
    }
}
