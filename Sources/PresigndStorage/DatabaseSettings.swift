import PresigndHTTP
import PresigndMetrics
package import PresigndPostgres
import PresigndSigning
package import PresigndSupport
import PresigndUploads

extension PostgresSettings {
    /// libpq's conventions: `DATABASE_URL` when set, otherwise libpq reads PGHOST, PGPORT,
    /// PGDATABASE, PGUSER, PGPASSWORD… itself. `PGCONNECT_TIMEOUT` (seconds, default 5) and
    /// `PRESIGND_DB_STATEMENT_TIMEOUT_MS` (default 5000) bound how long a request can wait;
    /// `PRESIGND_DB_POOLER` (none, session, transaction) names a pooler in front of PostgreSQL.
    package static func from(_ environment: Environment) throws(ConfigError) -> PostgresSettings {
        let conninfo = try environment.secret("DATABASE_URL") ?? ""
        if !conninfo.isEmpty && !PostgresConnection.canParse(conninfo) {
            try environment.refuse(ConfigError(
                variable: "DATABASE_URL",
                problem: "libpq cannot parse it; write a URI (postgresql://user@host:5432/db) or key=value pairs (host=… dbname=…)"))
        }
        var pooler = PostgresSettings.Pooler.none
        if let text = environment.string("PRESIGND_DB_POOLER") {
            if let named = PostgresSettings.Pooler(rawValue: text) {
                pooler = named
            } else {
                try environment.refuse(ConfigError(variable: "PRESIGND_DB_POOLER",
                                                   problem: "expected none, session or transaction (PgBouncer's pool_mode), got \"\(text.prefix(40))\""))
            }
        }
        return PostgresSettings(
            conninfo: conninfo,
            connectTimeoutSeconds: try environment.integer("PGCONNECT_TIMEOUT", default: 5, range: 1...60),
            statementTimeoutMilliseconds: try environment.integer("PRESIGND_DB_STATEMENT_TIMEOUT_MS", default: 5_000, range: 100...600_000),
            pooler: pooler)
    }
}

/// A replica for the read-only routes (`PRESIGND_DATABASE_READ_URL`, e.g. a multi-host URL with
/// `target_session_attrs=prefer-standby`), used while it lags the primary by at most
/// `PRESIGND_DATABASE_READ_MAX_LAG_MS`; the timeouts and pooler are the primary's.
package struct ReadReplicaConfig: Sendable, Equatable {
    package let settings: PostgresSettings
    package let maxLagMilliseconds: Int

    /// Nil when no read URL is set.
    package static func from(_ environment: Environment, primary: PostgresSettings) throws(ConfigError) -> ReadReplicaConfig? {
        let maxLag = try environment.integer("PRESIGND_DATABASE_READ_MAX_LAG_MS", default: 1_000, range: 10...600_000)
        guard let conninfo = try environment.secret("PRESIGND_DATABASE_READ_URL") else { return nil }
        guard PostgresConnection.canParse(conninfo) else {
            return try environment.refuse(ConfigError(
                variable: "PRESIGND_DATABASE_READ_URL",
                problem: "libpq cannot parse it; write a URI (postgresql://user@replica1,replica2/db?target_session_attrs=prefer-standby) or key=value pairs"),
                fallback: nil)
        }
        var settings = primary
        settings.conninfo = conninfo
        return ReadReplicaConfig(settings: settings, maxLagMilliseconds: maxLag)
    }
}
