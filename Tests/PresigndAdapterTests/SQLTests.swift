import XCTest
@testable import PresigndPostgres

/// The query type keeps values out of SQL text: every interpolation is a `$n` bind.
final class SQLTests: XCTestCase {
    func testInterpolationsBecomeNumberedBinds() {
        let name = "x'); DROP TABLE documents; --"
        let limit = 10
        let cursor: Int64? = nil
        let sql: SQL = "SELECT * FROM documents WHERE owner_id = \(name) AND (\(cursor)::bigint IS NULL) LIMIT \(limit)"
        XCTAssertEqual(sql.text, "SELECT * FROM documents WHERE owner_id = $1 AND ($2::bigint IS NULL) LIMIT $3")
        XCTAssertEqual(sql.binds, [name, nil, "10"])
    }

    /// Regression: libpq reads parameters as C strings, so "bob\0x" was bound as "bob".
    func testRegressionBindWithNULIsRefusedNotTruncated() {
        let id = "bob\u{0}x"
        let sql: SQL = "SELECT \(1) WHERE \(id) = \(id)"
        XCTAssertThrowsError(try sql.checkBinds()) { error in
            XCTAssertEqual((error as? PostgresError)?.kind, .server(sqlState: "22021"))
            XCTAssertEqual("\(error)", "PostgreSQL error 22021", "the value stays out of the description")
            XCTAssertEqual((error as? PostgresError)?.isUnavailable, false)
        }
        let clean: SQL = "SELECT \("bob") WHERE \(nil as String?) IS NULL"
        XCTAssertNoThrow(try clean.checkBinds())
    }

    /// A list is one bind in PostgreSQL's array text form, every element quoted and escaped.
    func testAnArrayIsOneBindWithEachElementQuoted() {
        let sql: SQL = "SELECT unnest(\(array: ["app", "a,b", "say \"hi\"", "back\\slash", ""])::text[])"
        XCTAssertEqual(sql.text, "SELECT unnest($1::text[])")
        XCTAssertEqual(sql.binds, [#"{"app","a,b","say \"hi\"","back\\slash",""}"#])
    }

    func testLiteralsAndUnsafeSQLCarryNoBinds() {
        let literal: SQL = "SELECT 1"
        XCTAssertEqual(literal.text, "SELECT 1")
        XCTAssertEqual(literal.binds, [])
        XCTAssertEqual(SQL(unsafeSQL: "CREATE TABLE t (x int)").binds, [])
    }

    func testSettingsPutTheConnectionStringLastSoItsOptionsWin() {
        let settings = PostgresSettings(conninfo: "postgresql://u@h/db?connect_timeout=9", connectTimeoutSeconds: 3, statementTimeoutMilliseconds: 1500)
        XCTAssertEqual(settings.parameters.map(\.0), ["connect_timeout", "options", "application_name", "dbname"])
        XCTAssertEqual(settings.parameters[1].1, "-c statement_timeout=1500 -c client_min_messages=warning")
        XCTAssertEqual(settings.parameters.last?.1, "postgresql://u@h/db?connect_timeout=9")
    }

    /// Behind a pooler no `options` startup parameter goes out (PgBouncer refuses it); a session
    /// pooler gets the same settings as SET statements.
    func testBehindAPoolerTheSettingsAreNotInTheStartupPacket() {
        for pooler in [PostgresSettings.Pooler.session, .transaction] {
            let settings = PostgresSettings(conninfo: "postgresql://u@h/db", statementTimeoutMilliseconds: 1500, pooler: pooler)
            XCTAssertEqual(settings.parameters.map(\.0), ["connect_timeout", "application_name", "dbname"], "\(pooler)")
        }
        XCTAssertEqual(PostgresSettings(statementTimeoutMilliseconds: 1500, pooler: .session).setStatements,
                       "SET statement_timeout = 1500; SET client_min_messages = warning")
    }

    /// A failed connection is logged with libpq's reason (and, for PgBouncer's refusal of
    /// `options`, the setting to change); a failed statement only with its SQLSTATE.
    func testConnectionFailuresAreLoggedWithTheirReason() {
        let refused = PostgresError(.connection, detail: """
            connection to server at "127.0.0.1", port 6432 failed: FATAL:  unsupported startup parameter: options

            """)
        XCTAssertEqual(refused.logged, "PostgreSQL connection failed: connection to server at \"127.0.0.1\", port 6432 failed: "
                       + "FATAL:  unsupported startup parameter: options (a connection pooler in front of PostgreSQL? "
                       + "set PRESIGND_DB_POOLER to session or transaction)")
        let statement = PostgresError(.server(sqlState: "23505"), detail: "duplicate key value violates unique constraint: Key (object_key)=(secret)")
        XCTAssertEqual(statement.logged, "PostgreSQL error 23505")
    }

    /// Regression: the default description printed DATABASE_URL, password included.
    func testRegressionSettingsDescriptionMasksTheConnectionString() {
        let settings = PostgresSettings(conninfo: "postgresql://app:dbpassword123@db/presignd")
        XCTAssertEqual("\(settings)", "PostgresSettings(conninfo: ******, connectTimeoutSeconds: 5, statementTimeoutMilliseconds: 5000)")
        XCTAssertFalse(String(reflecting: settings).contains("dbpassword123"))
    }
}
