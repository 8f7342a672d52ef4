import XCTest
@testable import PresigndPostgres

/// What a database failover looks like to the pool, decided without a server (the integration
/// suite's test_failover.py drives the same paths against a real primary and standby).
final class PostgresFailoverTests: XCTestCase {
    /// A write on a standby (or a fenced primary) is 25006: the database is unavailable for
    /// writes (503 with Retry-After), not a failed statement (500), and the connection goes.
    func testReadOnlyTransactionIsUnavailableAndMarksTheServer() {
        let readOnly = PostgresError(.server(sqlState: "25006"), detail: "cannot execute INSERT in a read-only transaction")
        XCTAssertTrue(readOnly.isUnavailable)
        XCTAssertTrue(readOnly.isReadOnlyServer)
        XCTAssertEqual("\(readOnly)", "PostgreSQL error 25006", "the server's text stays out of the description")
        for state in ["23505", "22021", "25001", "25P02", "42P01"] {
            let error = PostgresError(.server(sqlState: state), detail: "")
            XCTAssertFalse(error.isReadOnlyServer, state)
            XCTAssertFalse(error.isUnavailable, state)
        }
        XCTAssertFalse(PostgresError(.connection, detail: "server closed the connection unexpectedly").isReadOnlyServer)
        XCTAssertTrue(PostgresError(.server(sqlState: "57P01"), detail: "terminating connection due to administrator command").isUnavailable)
    }

    /// `target_session_attrs` is held for a kept connection's whole life, not only at connect.
    func testSessionTargetFollowsWhatTheServerReports() {
        XCTAssertEqual(SessionTarget(targetSessionAttrs: "read-write"), .readWrite)
        XCTAssertEqual(SessionTarget(targetSessionAttrs: "primary"), .primary)
        for other in [nil, "any", "read-only", "standby", "prefer-standby", "bogus"] {
            XCTAssertEqual(SessionTarget(targetSessionAttrs: other), .any, other ?? "nil")
        }
        // (default_transaction_read_only, in_hot_standby) → read-write, primary, any
        let table: [(String?, String?, Bool, Bool, Bool)] = [
            ("off", "off", true, true, true),       // a primary
            ("on", "off", false, true, true),       // a primary fenced read-only for a switchover
            ("off", "on", false, false, true),      // a standby
            ("on", "on", false, false, true),
            (nil, nil, true, true, true),           // before PostgreSQL 14: nothing reported
        ]
        for (readOnly, standby, readWrite, primary, any) in table {
            let label = "\(readOnly ?? "nil")/\(standby ?? "nil")"
            XCTAssertEqual(SessionTarget.readWrite.accepts(defaultTransactionReadOnly: readOnly, inHotStandby: standby), readWrite, label)
            XCTAssertEqual(SessionTarget.primary.accepts(defaultTransactionReadOnly: readOnly, inHotStandby: standby), primary, label)
            XCTAssertEqual(SessionTarget.any.accepts(defaultTransactionReadOnly: readOnly, inHotStandby: standby), any, label)
        }
    }

    /// The multi-host URL goes to libpq unchanged, after presignd's defaults, so its own
    /// `target_session_attrs` and `connect_timeout` are the ones used.
    func testMultiHostURLReachesLibpqUnchanged() {
        let url = "postgresql://app@db1:5432,db2:5433/presignd?target_session_attrs=read-write&connect_timeout=2"
        let settings = PostgresSettings(conninfo: url, connectTimeoutSeconds: 1)
        XCTAssertEqual(settings.parameters.last?.0, "dbname")
        XCTAssertEqual(settings.parameters.last?.1, url)
    }
}
