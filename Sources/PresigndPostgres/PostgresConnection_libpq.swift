internal import CLibPQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One libpq connection. Not thread-safe: the pool hands it to one thread at a time. Each
/// distinct SQL text is prepared once per connection and then executed by name.
package final class PostgresConnection: @unchecked Sendable {
    let connection: OpaquePointer
    var preparedNames: [String: String] = [:]
    /// The prepared names of `SQL.Statement`s, by their number.
    var preparedStatements: [Int: String] = [:]
    /// What the connection string's `target_session_attrs` asked for.
    let target: SessionTarget
    /// Where the server's notices go (kept alive here: libpq holds only a raw pointer to it).
    let notices: NoticeSink
    /// Statements go unnamed (behind a transaction pooler), never prepared by name.
    let sendsUnnamed: Bool
    /// How long `query` waits for an answer (nil: as long as it takes, for migrations).
    package var answerDeadlineMilliseconds: Int?
    /// Set once a statement went unanswered: the connection's state is unknown, so it is dropped.
    var abandoned = false

    /// Connects, or throws a `.connection` error carrying libpq's message. The server's notices
    /// and warnings (`WARNING: terminating connection due to immediate shutdown`) go to `notice`
    /// instead of libpq's default, which writes them to stderr as raw text.
    package init(_ settings: PostgresSettings, notice: @escaping @Sendable (PostgresNotice) -> Void = { _ in }) throws(PostgresError) {
        let pairs = settings.parameters
        let keywords = pairs.map { strdup($0.0) }
        let values = pairs.map { strdup($0.1) }
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        var keywordPointers: [UnsafePointer<CChar>?] = keywords.map { UnsafePointer($0) } + [nil]
        var valuePointers: [UnsafePointer<CChar>?] = values.map { UnsafePointer($0) } + [nil]
        guard let connection = PQconnectdbParams(&keywordPointers, &valuePointers, 1) else {
            throw PostgresError(.connection, detail: "libpq could not allocate a connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(connection))
            PQfinish(connection)
            throw PostgresError(.connection, detail: message)
        }
        self.connection = connection
        self.target = SessionTarget(targetSessionAttrs: Self.option("target_session_attrs", of: connection))
        self.notices = NoticeSink(notice)
        self.sendsUnnamed = settings.pooler == .transaction
        self.answerDeadlineMilliseconds = settings.answerDeadlineMilliseconds
        _ = PQsetNoticeReceiver(connection, { context, result in
            guard let context, let result else { return }
            let field = { (code: Int32) in PQresultErrorField(result, code).map { String(cString: $0) } }
            let notice = PostgresNotice(severity: field(presignd_pg_diag_severity_nonlocalized()) ?? "NOTICE",
                                        message: field(presignd_pg_diag_message_primary()) ?? "")
            Unmanaged<NoticeSink>.fromOpaque(context).takeUnretainedValue().deliver(notice)
        }, Unmanaged.passUnretained(notices).toOpaque())
        switch settings.pooler {
        case .none: break
        case .session: try execute(SQL(unsafeSQL: settings.setStatements))
        case .transaction:
            // The role's timeout is the only one there is: said when there is none.
            if try query("SHOW statement_timeout").first?.string(0) == "0" {
                notice(PostgresNotice(severity: "WARNING", message: """
                    no statement_timeout behind the transaction pooler (PRESIGND_DB_POOLER=transaction sends no settings): \
                    set it on presignd's role, ALTER ROLE <role> SET statement_timeout = '\(settings.statementTimeoutMilliseconds)ms'
                    """))
            }
        }
    }

    deinit { PQfinish(connection) }

    /// False once the server has gone away; such a connection is thrown away, not reused.
    package var isHealthy: Bool { !abandoned && PQstatus(connection) == CONNECTION_OK }

    /// False once the server reports that it no longer is what `target_session_attrs` asked for
    /// (it was fenced read-only, or is in recovery); such a connection is thrown away, not reused.
    /// The server reports a change with the answer to the next statement.
    package var servesTarget: Bool {
        target == .any || target.accepts(defaultTransactionReadOnly: parameter("default_transaction_read_only"),
                       inHotStandby: parameter("in_hot_standby"))
    }

    func parameter(_ name: String) -> String? {
        PQparameterStatus(connection, name).map { String(cString: $0) }
    }

    /// Whether libpq can parse `conninfo` (a URI or key=value pairs), checked without connecting.
    /// libpq's message is not kept: it may quote part of the string, password included.
    package static func canParse(_ conninfo: String) -> Bool {
        var message: UnsafeMutablePointer<CChar>? = nil
        guard let options = PQconninfoParse(conninfo, &message) else {
            if let message { PQfreemem(message) }
            return false
        }
        PQconninfoFree(options)
        return true
    }

    /// The value libpq uses for one connection option (from the string, a PG* variable or its default).
    static func option(_ keyword: String, of connection: OpaquePointer) -> String? {
        guard let options = PQconninfo(connection) else { return nil }
        defer { PQconninfoFree(options) }
        var entry = options
        while let name = entry.pointee.keyword {
            if String(cString: name) == keyword { return entry.pointee.val.map { String(cString: $0) } }
            entry += 1
        }
        return nil
    }

    /// Runs one statement (prepared on first use) and copies its rows out.
    package func query(_ sql: SQL) throws(PostgresError) -> [PostgresRow] {
        try sql.checkBinds()
        let name = sendsUnnamed ? nil : try preparedName(for: sql)
        // The binds as C strings, all in one buffer (one allocation instead of a strdup each).
        var storage: [UInt8] = []
        storage.reserveCapacity(sql.binds.reduce(0) { $0 + ($1?.utf8.count ?? 0) + 1 })
        var offsets: [Int?] = []
        offsets.reserveCapacity(sql.binds.count)
        for bind in sql.binds {
            guard let bind else { offsets.append(nil); continue }
            offsets.append(storage.count)
            storage.append(contentsOf: bind.utf8)
            storage.append(0)
        }
        let result = storage.withUnsafeBufferPointer { bytes in
            let base = UnsafeRawPointer(bytes.baseAddress)?.assumingMemoryBound(to: CChar.self)
            var values: [UnsafePointer<CChar>?] = offsets.map { offset -> UnsafePointer<CChar>? in
                guard let offset, let base else { return nil }
                return base + offset
            }
            return values.withUnsafeMutableBufferPointer { buffer in
                guard let name else { return PQsendQueryParams(connection, sql.text, Int32(sql.binds.count), nil, buffer.baseAddress, nil, nil, 0) }
                return PQsendQueryPrepared(connection, name, Int32(sql.binds.count), buffer.baseAddress, nil, nil, 0)
            }
        }
        guard result == 1 else { throw failure(nil) }
        return try rows(of: try answer(), statement: name)
    }

    /// The result of the statement just sent, waiting at most `answerDeadlineMilliseconds` for
    /// it (libpq's own waits have no bound). Gives up on the connection when the time is over.
    func answer() throws(PostgresError) -> OpaquePointer? {
        let deadline = answerDeadlineMilliseconds.map { Self.monotonicMilliseconds() + Int64($0) }
        var last: OpaquePointer?
        while true {
            while PQisBusy(connection) == 1 {
                guard try waitForInput(until: deadline) else {
                    if let last { PQclear(last) }
                    abandoned = true
                    throw PostgresError(.noAnswer, detail: "no answer within \(answerDeadlineMilliseconds ?? 0) ms (the server or the network is frozen)")
                }
                guard PQconsumeInput(connection) == 1 else {
                    if let last { PQclear(last) }
                    throw failure(nil)
                }
            }
            // One statement gives one result, then nil; a later result (there is none) would win.
            guard let next = PQgetResult(connection) else { return last }
            if let last { PQclear(last) }
            last = next
        }
    }

    /// Waits until the connection's socket has input; false when `deadline` passed first.
    func waitForInput(until deadline: Int64?) throws(PostgresError) -> Bool {
        var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
        while true {
            let timeout = deadline.map { Int32(clamping: max(0, $0 - Self.monotonicMilliseconds())) } ?? -1
            let ready = poll(&descriptor, 1, timeout)
            if ready > 0 { return true }
            if ready == 0 { return false }
            guard errno == EINTR else { throw PostgresError(.connection, detail: "poll failed: errno \(errno)") }
        }
    }

    static func monotonicMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000 + Int64(now.tv_nsec) / 1_000_000
    }

    /// Runs SQL text without parameters, possibly several statements (migrations, BEGIN/COMMIT).
    package func execute(_ sql: SQL) throws(PostgresError) {
        precondition(sql.binds.isEmpty, "execute takes no parameters; use query")
        _ = try rows(of: PQexec(connection, sql.text))
    }

    /// Runs one statement without parameters and answers how many rows it changed.
    package func affectedRows(_ sql: SQL) throws(PostgresError) -> Int {
        precondition(sql.binds.isEmpty, "affectedRows takes no parameters")
        guard let result = PQexec(connection, sql.text) else { throw failure(nil) }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            return Int(String(cString: PQcmdTuples(result))) ?? 0
        default:
            throw failure(result)
        }
    }

    func preparedName(for sql: SQL) throws(PostgresError) -> String {
        if let id = sql.statementID, let name = preparedStatements[id] { return name }
        if let name = preparedNames[sql.text] {
            if let id = sql.statementID { preparedStatements[id] = name }
            return name
        }
        let name = "p\(preparedNames.count)"
        guard PQsendPrepare(connection, name, sql.text, Int32(sql.binds.count), nil) == 1 else { throw failure(nil) }
        _ = try rows(of: try answer())
        preparedNames[sql.text] = name
        if let id = sql.statementID { preparedStatements[id] = name }
        return name
    }

    /// The `NOTIFY`s received on the channels this connection `LISTEN`s on, waiting at most
    /// `timeoutMilliseconds` for the first (none: an empty list). A lost connection throws.
    package func notifications(waitingAtMost timeoutMilliseconds: Int) throws(PostgresError) -> [PostgresNotification] {
        var received = takeNotifications()
        guard received.isEmpty else { return received }
        guard try waitForInput(until: Self.monotonicMilliseconds() + Int64(timeoutMilliseconds)) else { return [] }
        guard PQconsumeInput(connection) == 1 else { throw failure(nil) }
        received = takeNotifications()
        return received
    }

    func takeNotifications() -> [PostgresNotification] {
        var received: [PostgresNotification] = []
        while let notify = PQnotifies(connection) {
            received.append(PostgresNotification(channel: String(cString: notify.pointee.relname),
                                                 payload: notify.pointee.extra.map { String(cString: $0) } ?? ""))
            PQfreemem(notify)
        }
        return received
    }

    /// Copies the result into Swift values and frees it; errors become `PostgresError`.
    /// A prepared statement's result always has the same columns: their names are read once per
    /// statement and connection, not once per result.
    var columnNames: [String: [String]] = [:]

    func rows(of result: OpaquePointer?, statement: String? = nil) throws(PostgresError) -> [PostgresRow] {
        guard let result else { throw failure(nil) }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return []
        case PGRES_TUPLES_OK:
            let rowCount = PQntuples(result), columnCount = PQnfields(result)
            var columns: [String] = []
            if rowCount > 0 {
                if let statement, let known = columnNames[statement], known.count == Int(columnCount) {
                    columns = known
                } else {
                    columns = (0..<columnCount).map { PQfname(result, $0).map { String(cString: $0) } ?? "" }
                    if let statement { columnNames[statement] = columns }
                }
            }
            var rows: [PostgresRow] = []
            rows.reserveCapacity(Int(rowCount))
            for row in 0..<rowCount {
                var values: [String?] = []
                values.reserveCapacity(Int(columnCount))
                for column in 0..<columnCount {
                    if PQgetisnull(result, row, column) == 1 {
                        values.append(nil)
                    } else {
                        values.append(String(cString: PQgetvalue(result, row, column)))
                    }
                }
                rows.append(PostgresRow(values, columns: columns))
            }
            return rows
        default:
            throw failure(result)
        }
    }

    func failure(_ result: OpaquePointer?) -> PostgresError {
        let message = String(cString: PQerrorMessage(connection))
        if !isHealthy { return PostgresError(.connection, detail: message) }
        guard let result, let state = PQresultErrorField(result, presignd_pg_diag_sqlstate()) else {
            return PostgresError(.connection, detail: message)
        }
        let primary = PQresultErrorField(result, presignd_pg_diag_message_primary()).map { String(cString: $0) } ?? message
        return PostgresError(.server(sqlState: String(cString: state)), detail: primary)
    }
}

/// One `NOTIFY` a listening connection received.
package struct PostgresNotification: Sendable, Equatable {
    package let channel: String
    package let payload: String
}

/// A notice or warning the server sent outside an error (`RAISE WARNING`, a shutdown warning).
package struct PostgresNotice: Sendable, Equatable {
    /// `WARNING`, `NOTICE`, `INFO`, `LOG` or `DEBUG` (not translated).
    package let severity: String
    /// The primary message; server notices carry no bind values.
    package let message: String
}

/// The notice callback's box: libpq's receiver gets a pointer to it as its argument.
final class NoticeSink: Sendable {
    let deliver: @Sendable (PostgresNotice) -> Void
    init(_ deliver: @escaping @Sendable (PostgresNotice) -> Void) { self.deliver = deliver }
}
