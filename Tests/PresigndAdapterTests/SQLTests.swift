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

    /// Regression: the default description printed DATABASE_URL, password included.
    func testRegressionSettingsDescriptionMasksTheConnectionString() {
        let settings = PostgresSettings(conninfo: "postgresql://app:dbpassword123@db/presignd")
        XCTAssertEqual("\(settings)", "PostgresSettings(conninfo: ******, connectTimeoutSeconds: 5, statementTimeoutMilliseconds: 5000)")
        XCTAssertFalse(String(reflecting: settings).contains("dbpassword123"))
    }
}
