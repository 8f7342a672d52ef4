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
                Output.out("presignd migrate: schema is current (version \(Migrations.all.map(\.version).max() ?? 0))")
            } else {
                Output.out("presignd migrate: applied \(applied.map(String.init).joined(separator: ", "))")
            }
            return 0
        } catch let error as PostgresError {
            // The operator needs the server's message here; it carries no secrets.
            Output.err("presignd migrate: \(error.debugDescription)")
            return 1
        } catch {
            Output.err("presignd migrate: \(error)")
            return 1
        }
    }
}
