#if canImport(Glibc)
import Glibc
#endif
import PresigndApp
import PresigndCore
import PresigndFastCGI

/// `presignd serve [--listen …] [--socket-mode 0660] [--workers N] [--threads N] …`, and what a
/// bare `presignd` does when a web server, spawn-fcgi or systemd starts it.
enum ServeCommand {
    /// `serve` with flags: FastCGI on the given or inherited socket.
    static func run(arguments: [String]) -> Int32 {
        guard let config = serverConfig(arguments: arguments) else { return 78 }
        guard let metrics = sharedMetrics() else { return 78 }
        return Server.run(config: config, metrics: metrics, makeHandler: { try makeHandler(arguments: arguments, metrics: metrics) })
    }

    /// The log format and the metrics table, set up once before the first fork (a reload keeps
    /// both: the table is shared memory its workers inherit).
    static func sharedMetrics() -> Metrics? {
        do {
            let observability = try ObservabilityConfig.from(Environment(try reloadableVariables()))
            ServerLog.json = observability.logFormat == "json"
            guard !observability.metricsAllowed.isEmpty else { return .off }
            return Metrics(table: SharedMetrics.map(slots: observability.metricsSlots))
        } catch {
            Output.err("presignd serve: \(error)")
            return nil
        }
    }

    /// No subcommand: CGI when started as a CGI program, FastCGI on fd 0 or systemd's socket.
    static func runDetected() -> Int32 {
        switch Server.detectStartMode() {
        case .cgi:
            guard let config = serverConfig(arguments: []) else { return 78 }
            return Server.runCGI(config: config, makeHandler: { try makeHandler(arguments: [], metrics: .off) })
        case .systemdSocket, .inheritedSocket:
            guard var config = serverConfig(arguments: []) else { return 78 }
            config.listen = .inherited
            guard let metrics = sharedMetrics() else { return 78 }
            return Server.run(config: config, metrics: metrics, makeHandler: { try makeHandler(arguments: [], metrics: metrics) })
        case .unknown:
            Output.err("presignd: not started by a web server (no CGI environment, no inherited socket)\n\n\(Usage.text)")
            return 2
        }
    }

    static func reloadableVariables() throws -> [String: String] {
        var variables = ProcessEnvironment.current()
        guard let path = variables["PRESIGND_ENV_FILE"], !path.isEmpty else { return variables }
        guard let text = readWholeFile(path) else {
            throw ConfigError(variable: "PRESIGND_ENV_FILE", problem: "cannot read \(path)")
        }
        variables.merge(try EnvironmentFile.parse(text, path: path)) { _, fromFile in fromFile }
        return variables
    }

    static func serverConfig(arguments: [String]) -> ServerConfig? {
        do {
            return try ServerConfig.parse(
                environment: Environment(try reloadableVariables()), arguments: arguments,
                cpuCount: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        } catch {
            Output.err("presignd serve: \(error)")
            return nil
        }
    }

    /// Runs in every worker after fork, so a SIGHUP's new workers read the configuration afresh:
    /// `*_FILE` secrets and, when `PRESIGND_ENV_FILE` names one, an environment file whose
    /// variables override the process environment.
    /// `arguments` are `serve`'s flags, so a flag such as `--body-limit` reaches the application
    /// as it reaches the gateway.
    @Sendable static func makeHandler(arguments: [String], metrics: Metrics) throws -> RequestHandler {
        let variables = try reloadableVariables()
        let server = try ServerConfig.parse(environment: Environment(variables), arguments: arguments, cpuCount: 1)
        let application = try makeApplication(environment: variables, bodyLimit: server.bodyLimit, metrics: metrics)
        let handler: RequestHandler = { application.handle($0) }
        return try TestDelay.enabled(in: Environment(variables)) ? TestDelay.wrap(handler) : handler
    }
}
