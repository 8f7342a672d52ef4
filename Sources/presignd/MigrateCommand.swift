import PresigndApp
import PresigndHTTP
import PresigndJWT
import PresigndMetrics
import PresigndPostgres
import PresigndSigning
import PresigndStorage
import PresigndSupport
import PresigndUploads

/// `presignd migrate [--to N]`: brings the database schema up to date (or up to version N).
/// Safe on every deploy and from several hosts at once (one transaction under an advisory lock;
/// applied versions recorded); then makes the audit log's next partitions.
enum MigrateCommand: Command {
    static func run(_ arguments: [String], environment: Environment) -> Int32 {
        var target = Int.max
        if !arguments.isEmpty {
            guard arguments.count == 2, arguments[0] == "--to", let version = Int(arguments[1]), version >= 1 else {
                writeError("usage: presignd migrate [--to VERSION]")
                return 2
            }
            target = version
        }
        do {
            let settings = try PostgresSettings.from(environment)
            // The migration lock and CREATE INDEX CONCURRENTLY need one session from start to end,
            // which a transaction pooler does not keep.
            guard settings.pooler != .transaction else {
                writeError("migrate needs a session of its own; run it with DATABASE_URL naming PostgreSQL "
                           + "(or a session-pooled database) and without PRESIGND_DB_POOLER=transaction")
                return 78
            }
            let connection = try PostgresConnection(settings)
            let applied = try Migrator(migrations: Migrations.all.filter { $0.version <= target }).run(on: connection)
            if target != Int.max {
                writeOut("presignd migrate: applied \(applied.isEmpty ? "nothing" : applied.map(String.init).joined(separator: ", ")) (up to version \(target))\n")
                return 0
            }
            if applied.isEmpty {
                writeOut("presignd migrate: schema is current (version \(Migrations.all.map(\.version).max() ?? 0))\n")
            } else {
                writeOut("presignd migrate: applied \(applied.map(String.init).joined(separator: ", "))\n")
            }
            try AuditPartitions(pool: PostgresPool(settings: settings)).ensure()
            return 0
        } catch let error as PostgresError {
            // The operator needs the server's message here; it carries no secrets.
            writeOut("presignd migrate: \(error.debugDescription)\n", to: 2)
            return 1
        } catch {
            writeOut("presignd migrate: \(error)\n", to: 2)
            return 1
        }
    }
}
