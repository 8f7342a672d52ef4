import Glibc
import PresigndHTTP
package import PresigndMetrics
import PresigndSupport

/// presignd's serving layer: FastCGI behind nginx (prefork workers × threads) or plain CGI.
package enum Server {
    /// Serves FastCGI until SIGTERM/SIGINT; returns the exit status. `makeHandler` runs in each
    /// worker after fork, so workers started by SIGHUP see a freshly read configuration.
    /// `metrics` should live in memory shared with the workers (`SharedMetrics.map`); the
    /// supervisor counts restarts and reloads into it.
    /// `checkReload` is asked on SIGHUP before any new worker starts: a problem it names keeps
    /// the running workers (and is logged and counted as a failed reload).
    package static func run(config: ServerConfig, metrics: Metrics = .off, checkReload: @escaping @Sendable () -> String? = { nil },
                           makeHandler: @escaping @Sendable () throws -> RequestHandler) -> Int32 {
        // Before the first fork and before any thread: every worker inherits the mask.
        Signals.blockLifecycle()
        let socket: ListeningSocket
        do {
            socket = try ListeningSocket.open(config.listen, socketMode: config.socketMode)
        } catch {
            ServerLog.event("cannot listen: \(error)")
            return 78
        }
        let source = socket.fd == 0 ? "inherited fd 0" : socket.fd == 3 && config.listen == .inherited ? "systemd fd 3" : config.listen.description
        ServerLog.event("serving FastCGI on \(source) with \(config.workers) worker(s) × \(config.threads) thread(s)")
        return Supervisor(config: config, socket: socket, metrics: metrics, checkReload: checkReload, makeHandler: makeHandler).run()
    }

    /// Answers the one CGI request described by the environment and stdin.
    package static func runCGI(config: ServerConfig, makeHandler: @Sendable () throws -> RequestHandler) -> Int32 {
        CGIGateway.run(limits: GatewayLimits(bodyLimit: config.bodyLimit, headerLimit: config.headerLimit), makeHandler: makeHandler)
    }

    /// How the process was started, for the default (no subcommand) behaviour.
    package enum StartMode: Sendable, Equatable {
        case systemdSocket, inheritedSocket, cgi, unknown
    }

    package static func detectStartMode() -> StartMode {
        if InheritedSocket.isSystemdActivated { return .systemdSocket }
        if ListeningSocket.isListening(0) { return .inheritedSocket }
        if getenv("GATEWAY_INTERFACE") != nil { return .cgi }
        return FastCGIRequest.isCGI && getenv("REQUEST_METHOD") != nil ? .cgi : .unknown
    }
}
