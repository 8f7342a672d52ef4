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
    /// What stands between presignd and PostgreSQL.
    package var pooler: Pooler

    /// A connection pooler in front of PostgreSQL (`PRESIGND_DB_POOLER`), which decides how the
    /// session's settings are made and whether statements may be prepared by name.
    package enum Pooler: String, Sendable, CaseIterable {
        /// PostgreSQL itself: the settings travel in the startup packet (`options`).
        case none
        /// A pooler that lends one server connection per client connection (PgBouncer's
        /// `pool_mode = session`): no `options` (PgBouncer refuses the startup parameter), the
        /// settings made with `SET` once per connection.
        case session
        /// A pooler that lends a server connection per transaction (`pool_mode = transaction`):
        /// no session state at all. Statements are sent unnamed (PgBouncer 1.18 cannot carry a
        /// prepared statement from one server connection to the next) and the statement timeout
        /// must be the role's (`ALTER ROLE … SET statement_timeout`), which each new connection
        /// checks and logs when it is missing.
        case transaction
    }

    package init(conninfo: String = "", connectTimeoutSeconds: Int = 5, statementTimeoutMilliseconds: Int = 5_000, pooler: Pooler = .none) {
        self.conninfo = conninfo
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
        self.pooler = pooler
    }

    /// The connection string is masked: it may hold the password.
    package var description: String {
        "PostgresSettings(conninfo: \(conninfo.isEmpty ? "(PG* variables)" : "******"), connectTimeoutSeconds: \(connectTimeoutSeconds), "
            + "statementTimeoutMilliseconds: \(statementTimeoutMilliseconds)\(pooler == .none ? "" : ", pooler: \(pooler.rawValue)"))"
    }

    /// The keyword/value pairs handed to `PQconnectdbParams`. Our defaults come first and the
    /// connection string last, so a `connect_timeout` or `options` spelled in `DATABASE_URL`
    /// wins (libpq lets later entries override earlier ones when it expands `dbname`).
    var parameters: [(String, String)] {
        [("connect_timeout", String(connectTimeoutSeconds))]
            + (pooler == .none ? [("options", sessionSettings.map { "-c \($0.name)=\($0.value)" }.joined(separator: " "))] : [])
            + [("application_name", "presignd"), ("dbname", conninfo)]
    }

    /// What every session of presignd's runs with.
    var sessionSettings: [(name: String, value: String)] {
        [("statement_timeout", String(statementTimeoutMilliseconds)), ("client_min_messages", "warning")]
    }

    /// How long presignd waits for the answer to one statement before it gives up on the
    /// connection: the server's statement timeout and a second more, so the server's own timeout
    /// (which tells presignd what happened) normally comes first. It bounds the wait where the
    /// server cannot: a frozen server enforces no timeout, and TCP notices nothing.
    package var answerDeadlineMilliseconds: Int { statementTimeoutMilliseconds + 1_000 }

    /// The same settings as `SET` statements, for a session behind a session pooler.
    var setStatements: String {
        sessionSettings.map { "SET \($0.name) = \($0.value)" }.joined(separator: "; ")
    }
}
