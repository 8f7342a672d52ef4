/// A failed statement or connection. `description` stays generic so nothing sensitive (SQL
/// values, host names) reaches a client; the server's message is in `debugDescription`.
package struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    package enum Kind: Sendable, Equatable {
        /// Could not connect, or the connection broke (server restarted, network gone).
        case connection
        /// The server refused the statement; `sqlState` says why (`23505` unique violation …).
        case server(sqlState: String)
        /// No answer within presignd's own deadline: the server may be frozen (it is reached,
        /// its kernel answers, nothing else does). The statement may or may not have run, so it
        /// is never tried again, and the connection is dropped.
        case noAnswer
    }

    package let kind: Kind
    let detail: String

    init(_ kind: Kind, detail: String) {
        self.kind = kind
        self.detail = detail.trimmingTrailingNewlines()
    }

    /// True when waiting and trying again may help: no connection, the server shutting down or
    /// overloaded, the statement timeout, or a server that takes no writes (failover).
    package var isUnavailable: Bool {
        switch kind {
        case .connection, .noAnswer: return true
        case .server(let state):
            // 57014 query_canceled (statement_timeout), 57P01–57P03 shutdown/cannot connect,
            // 53300 too_many_connections, 08xxx connection exceptions.
            return state == "57014" || state.hasPrefix("57P") || state == "53300" || state.hasPrefix("08") || isReadOnlyServer
        }
    }

    /// 25006 read_only_sql_transaction: presignd never opens a read-only transaction itself, so
    /// this connection reached a standby (a multi-host `DATABASE_URL` without
    /// `target_session_attrs=read-write`, or the old primary back as a standby after a failover).
    /// The statement changed nothing; the connection is closed so the next one picks a host again.
    package var isReadOnlyServer: Bool { kind == .server(sqlState: "25006") }

    package var description: String {
        switch kind {
        case .connection: return "PostgreSQL connection failed"
        case .server(let state): return "PostgreSQL error \(state)"
        case .noAnswer: return "PostgreSQL did not answer in time"
        }
    }

    package var debugDescription: String { "\(description): \(detail)" }

    /// What to log of the error. A connection failure carries libpq's reason (it names the host
    /// and the server's refusal, never a password); a server error only its SQLSTATE, since the
    /// server's message may quote the values of the statement.
    package var logged: String {
        guard kind == .connection || kind == .noAnswer else { return description }
        let reason = detail.split(whereSeparator: \.isNewline).map { String($0.drop { $0 == " " || $0 == "\t" }).trimmingTrailingNewlines() }.joined(separator: "; ")
        // PgBouncer refuses libpq's `options`, which presignd sends to PostgreSQL itself.
        let hint = detail.contains("unsupported startup parameter")
            ? " (a connection pooler in front of PostgreSQL? set PRESIGND_DB_POOLER to session or transaction)" : ""
        return "\(description): \(reason.isEmpty ? "no reason given" : reason)\(hint)"
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var text = Substring(self)
        while text.last == "\n" || text.last == "\r" || text.last == " " { text = text.dropLast() }
        return String(text)
    }
}
