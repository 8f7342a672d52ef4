import PresigndHTTP
import PresigndMetrics
package import PresigndPostgres
import PresigndSigning
import PresigndSupport
import PresigndUploads

/// The audit log's monthly partitions (migration 4): made ahead of time by `presignd migrate`
/// and `presignd sweep`, and dropped whole once older than the retention
/// (`PRESIGND_AUDIT_RETENTION_MONTHS`), so no row is ever deleted from the log.
package struct AuditPartitions: Sendable {
    let pool: PostgresPool

    package init(pool: PostgresPool) { self.pool = pool }

    /// Makes the partitions of this month (UTC) and the next `monthsAhead`; returns their names.
    @discardableResult
    package func ensure(monthsAhead: Int = 3) throws(PostgresError) -> [String] {
        try pool.query("""
            SELECT presignd_audit_partition(((now() AT TIME ZONE 'UTC')::date + make_interval(months => m))::date)
            FROM generate_series(0, \(Int64(monthsAhead))::int) AS m
            """).map { $0.string(0) }
    }

    /// The monthly partitions wholly older than the `months` before this month (UTC): with 12,
    /// in December 2026 everything before December 2025.
    package func expired(keepingMonths months: Int) throws(PostgresError) -> [String] {
        try pool.query("""
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'audit_log'::regclass AND c.relname ~ '^audit_log_y[0-9]{4}m[0-9]{2}$'
              AND c.relname < 'audit_log_y' || to_char(date_trunc('month', now() AT TIME ZONE 'UTC')
                                                       - make_interval(months => \(Int64(months))::int), 'YYYY"m"MM')
            ORDER BY c.relname
            """).map { $0.string(0) }
    }

    /// Drops the partitions `expired(keepingMonths:)` names; returns them.
    package func drop(keepingMonths months: Int) throws(PostgresError) -> [String] {
        let names = try expired(keepingMonths: months)
        for name in names {
            // Names come from the catalogue and match the pattern above: letters, digits, '_'.
            try pool.query(SQL(unsafeSQL: "DROP TABLE IF EXISTS \(name)"))
        }
        return names
    }
}
