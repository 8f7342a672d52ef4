/// A failed statement or connection. `description` stays generic so nothing sensitive (SQL
/// values, host names) reaches a client; the server's message is in `debugDescription`.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Could not connect, or the connection broke (server restarted, network gone).
        case connection
        /// The server refused the statement; `sqlState` says why (`23505` unique violation …).
        case server(sqlState: String)
    }

    public let kind: Kind
    let detail: String

    init(_ kind: Kind, detail: String) {
        self.kind = kind
        self.detail = detail.trimmingTrailingNewlines()
    }

    /// True when waiting and trying again may help: no connection, the server shutting down or
    /// overloaded, or the statement timeout.
    public var isUnavailable: Bool {
        switch kind {
        case .connection: return true
        case .server(let state):
            // 57014 query_canceled (statement_timeout), 57P01–57P03 shutdown/cannot connect,
            // 53300 too_many_connections, 08xxx connection exceptions.
            return state == "57014" || state.hasPrefix("57P") || state == "53300" || state.hasPrefix("08")
        }
    }

    public var description: String {
        switch kind {
        case .connection: return "PostgreSQL connection failed"
        case .server(let state): return "PostgreSQL error \(state)"
        }
    }

    public var debugDescription: String { "\(description): \(detail)" }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var text = Substring(self)
        while text.last == "\n" || text.last == "\r" || text.last == " " { text = text.dropLast() }
        return String(text)
    }
}
