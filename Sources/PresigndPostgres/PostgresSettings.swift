/// How to reach PostgreSQL. The connection string comes from `DATABASE_URL` (a `postgresql://`
/// URI or `key=value` string); when it is unset, libpq reads its own `PG*` variables
/// (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE …).
package struct PostgresSettings: Sendable, Equatable, CustomStringConvertible {
    /// Empty means "let libpq use the PG* variables".
    package var conninfo: String
    /// Seconds to wait for a connection (libpq's `connect_timeout`).
    package var connectTimeoutSeconds: Int
    /// Server-side limit for one statement, in milliseconds.
    package var statementTimeoutMilliseconds: Int

    package init(conninfo: String = "", connectTimeoutSeconds: Int = 5, statementTimeoutMilliseconds: Int = 5_000) {
        self.conninfo = conninfo
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
    }

    /// The connection string is masked: it may hold the password.
    package var description: String {
        "PostgresSettings(conninfo: \(conninfo.isEmpty ? "(PG* variables)" : "******"), connectTimeoutSeconds: \(connectTimeoutSeconds), "
            + "statementTimeoutMilliseconds: \(statementTimeoutMilliseconds))"
    }

    /// The keyword/value pairs handed to `PQconnectdbParams`. Our defaults come first and the
    /// connection string last, so a `connect_timeout` or `options` spelled in `DATABASE_URL`
    /// wins (libpq lets later entries override earlier ones when it expands `dbname`).
    var parameters: [(String, String)] {
        [
            ("connect_timeout", String(connectTimeoutSeconds)),
            ("options", "-c statement_timeout=\(statementTimeoutMilliseconds) -c client_min_messages=warning"),
            ("application_name", "presignd"),
            ("dbname", conninfo),
        ]
    }
}
