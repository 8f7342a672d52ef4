import PresigndApp
import PresigndCore
import PresigndPostgres
import PresigndStorage

/// `presignd migrate`: brings the database schema up to date. Safe on every deploy and from
/// several hosts at once (one transaction under an advisory lock; applied versions recorded).
enum MigrateCommand {
    static func run(environment: Environment) -> Int32 {
        do {
            let settings = try PostgresSettings.from(environment)
            let connection = try PostgresConnection(settings)
            let applied = try Migrator().run(on: connection)
            if applied.isEmpty {
                writeOut("presignd migrate: schema is current (version \(Migrations.all.map(\.version).max() ?? 0))\n")
            } else {
                writeOut("presignd migrate: applied \(applied.map(String.init).joined(separator: ", "))\n")
            }
            // Usage rows are kept only while quotas are configured: count them afresh, so quotas
            // turned on (again) start from the documents as they are.
            if try FlowsConfig.from(environment).quotasEnabled {
                let store = PostgresDocumentStore(pool: PostgresPool(settings: settings), logger: .discarding, tracksUsage: true)
                try store.recountUsage()
                writeOut("presignd migrate: quota usage recounted from the documents\n")
            }
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
