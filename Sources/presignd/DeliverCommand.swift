import PresigndApp
import PresigndMetrics
import PresigndStorage
import PresigndSupport

/// `presignd deliver`: the webhook delivery loop on its own, for a separate systemd unit
/// (`PRESIGND_WEBHOOK_DELIVERY=separate` keeps `serve` from running one too; with both running,
/// the advisory lock still lets one deliver at a time). Runs until it is stopped.
enum DeliverCommand: Command {
    static func run(_ arguments: [String], environment: Environment) -> Int32 {
        guard arguments.isEmpty else {
            writeError("deliver takes no arguments\nusage: presignd deliver")
            return 2
        }
        let config: PresigndConfig
        do { config = try PresigndConfig.load() } catch {
            for problem in error.errors { Output.err("presignd deliver: \(problem)") }
            return 78
        }
        guard !config.webhooks.endpoints.isEmpty else {
            writeError("no webhook endpoint is configured (PRESIGND_WEBHOOKS): nothing to deliver")
            return 78
        }
        EventDeliverer(settings: config.database, config: config.webhooks, logger: AppWiring.logger(config), metrics: .off).run()
        return 0
    }
}
