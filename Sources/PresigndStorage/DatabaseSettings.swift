import PresigndHTTP
import PresigndMetrics
package import PresigndPostgres
import PresigndSigning
package import PresigndSupport
import PresigndUploads

extension PostgresSettings {
    /// libpq's conventions: `DATABASE_URL` when set, otherwise libpq reads PGHOST, PGPORT,
    /// PGDATABASE, PGUSER, PGPASSWORD… itself. `PGCONNECT_TIMEOUT` (seconds, default 5) and
    /// `PRESIGND_DB_STATEMENT_TIMEOUT_MS` (default 5000) bound how long a request can wait.
    package static func from(_ environment: Environment) throws(ConfigError) -> PostgresSettings {
        let conninfo = try environment.secret("DATABASE_URL") ?? ""
        if !conninfo.isEmpty && !PostgresConnection.canParse(conninfo) {
            try environment.refuse(ConfigError(
                variable: "DATABASE_URL",
                problem: "libpq cannot parse it; write a URI (postgresql://user@host:5432/db) or key=value pairs (host=… dbname=…)"))
        }
        return PostgresSettings(
            conninfo: conninfo,
            connectTimeoutSeconds: try environment.integer("PGCONNECT_TIMEOUT", default: 5, range: 1...60),
            statementTimeoutMilliseconds: try environment.integer("PRESIGND_DB_STATEMENT_TIMEOUT_MS", default: 5_000, range: 100...600_000))
    }
}
