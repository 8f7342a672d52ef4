import XCTest
import PresigndSupport

/// Database failover: the multi-host connection strings libpq accepts are shown by check-config
/// with every host, port and `target_session_attrs` kept and only the password masked.
final class ConnectionStringMultiHostTests: XCTestCase {
    func testMultiHostURIsKeepTheirHostsAndTargetSessionAttrs() {
        let cases = [
            ("postgresql://app:s3cr3t@db1:5432,db2:5433/presignd?target_session_attrs=read-write",
             "postgresql://app:******@db1:5432,db2:5433/presignd?target_session_attrs=read-write"),
            ("postgres://app:s3cr3t@[2001:db8::1]:5432,[2001:db8::2]/x?target_session_attrs=primary&connect_timeout=2",
             "postgres://app:******@[2001:db8::1]:5432,[2001:db8::2]/x?target_session_attrs=primary&connect_timeout=2"),
            ("postgresql://app@db1,db2/x?target_session_attrs=read-write&password=s3cr3t",
             "postgresql://app@db1,db2/x?target_session_attrs=read-write&password=******"),
            ("postgresql://db1:5432,db2:5432/x?target_session_attrs=read-write",
             "postgresql://db1:5432,db2:5432/x?target_session_attrs=read-write"),
            ("host=db1,db2 port=5432,5433 password=s3cr3t dbname=x target_session_attrs=read-write",
             "host=db1,db2 port=5432,5433 password=****** dbname=x target_session_attrs=read-write"),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(ConnectionString.masked(text), expected, text)
        }
    }

    /// Regression: libpq reads user info up to an `@` met before any `/`, so a `?` in a password
    /// is part of it; the mask stopped at the `?` and check-config printed the password.
    func testRegressionAQuestionMarkInThePasswordIsMasked() {
        let cases = [
            ("postgresql://app:s3?cr3t@db1:5432,db2:5433/x?target_session_attrs=read-write",
             "postgresql://app:******@db1:5432,db2:5433/x?target_session_attrs=read-write"),
            ("postgresql://app:s3?cr3t&x=y@db/x", "postgresql://app:******@db/x"),
            ("postgresql://app:s3cr3t@db", "postgresql://app:******@db"),
        ]
        assertMasked(cases)
    }

    /// An `@` only in the query or the database name is not user info: nothing is masked but a
    /// `password=` parameter, and nothing secret is shown either way.
    func testAnAtSignOutsideTheUserInfoMasksNoHost() {
        XCTAssertEqual(ConnectionString.masked("postgresql://app:s3cr3t@db/team@x"), "postgresql://app:******@db/team@x")
        XCTAssertEqual(ConnectionString.masked("postgresql://db/x?application_name=a@b&password=s3cr3t"),
                       "postgresql://db/x?application_name=a@b&password=******")
        XCTAssertFalse(ConnectionString.masked("postgresql://db?password=s3cr3t&application_name=a@b").contains("s3cr3t"))
    }
}
