import PresigndApp
import PresigndCrypto
import PresigndHTTP
import PresigndHTTPClient
import PresigndJWT
import PresigndMetrics
import PresigndPostgres
import PresigndSigning
import PresigndStorage
import PresigndSupport
import PresigndUploads

/// `presignd sweep [--dry-run] [--older-than SECONDS]`: expires uploads left unfinished
/// (default `PRESIGND_SWEEP_AFTER`, 24 h) and finishes deletes that stopped half-way; prints
/// one line per row. Exit 0 when every row was handled, 1 when some failed (run it again).
enum SweepCommand: Command {
    static let usage = "usage: presignd sweep [--dry-run] [--older-than SECONDS]"

    static func run(_ arguments: [String], environment env: Environment) -> Int32 {
        var dryRun = false
        var olderThan: Int64? = nil
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--dry-run":
                dryRun = true
            case "--older-than":
                guard let text = rest.popFirst(), let seconds = Int64(text), seconds >= 1 else {
                    writeError("--older-than takes a number of seconds\n\(usage)")
                    return 2
                }
                olderThan = seconds
            default:
                writeError("unknown option \(argument)\n\(usage)")
                return 2
            }
        }
        return reportingDatabaseErrors {
            let logger = Logger(sink: Logger.standardError)
            let flows = try FlowsConfig.from(env)
            let s3 = AppWiring.s3Signer(try S3Config.from(env))
            // One pool for the sweep and the audit partitions.
            let pool = PostgresPool(settings: try PostgresSettings.from(env), observer: PoolObserver(notice: AppWiring.databaseNotices(logger)))
            let webhooks = try WebhookConfig.from(env)
            let store = PostgresDocumentStore(pool: pool, logger: logger, bucket: s3.bucket, events: AppWiring.eventOutbox(webhooks))
            let objects = AppWiring.objectStore(s3, logger: logger)
            let maxAge = olderThan ?? flows.sweepAfter
            let sweeper = Sweeper(store: store, objects: objects, purposes: flows.purposes, maxAge: maxAge)
            let entries = try sweeper.run(now: currentUnixTime(), dryRun: dryRun)
            var failed = 0
            for entry in entries {
                let outcome: String
                if let skipped = entry.skipped {
                    outcome = "skipped (\(skipped))"
                    if skipped.hasPrefix("failed") { failed += 1 }
                } else {
                    outcome = dryRun ? "would \(entry.action)" : "\(entry.action): done"
                }
                writeOut("\(entry.documentID) \(entry.status.rawValue): \(outcome)\n")
            }
            writeOut("presignd sweep: \(entries.count) row(s) older than \(maxAge) s\(dryRun ? " (dry run: nothing changed)" : ""), \(failed) failed\n")
            // Events: those older than their retention that wait for no delivery.
            if !dryRun {
                let trimmed = try EventLog(pool: pool).trim(olderThanDays: webhooks.retentionDays)
                if trimmed > 0 { writeOut("events: \(trimmed) older than \(webhooks.retentionDays) days removed\n") }
            }
            // The audit log: next months' partitions ahead, old months dropped whole.
            let partitions = AuditPartitions(pool: pool)
            let retention = try env.integer("PRESIGND_AUDIT_RETENTION_MONTHS", default: 0, range: 0...1200)
            if dryRun {
                if retention > 0 {
                    for name in try partitions.expired(keepingMonths: retention) { writeOut("audit partition \(name): would drop\n") }
                }
            } else {
                try partitions.ensure()
                if retention > 0 {
                    for name in try partitions.drop(keepingMonths: retention) { writeOut("audit partition \(name): dropped\n") }
                }
            }
            return failed == 0 ? 0 : 1
        }
    }
}
