#if canImport(Glibc)
import Glibc
#endif
package import PresigndApp
import PresigndHTTP
package import PresigndPostgres
package import PresigndSupport
import PresigndUploads
import Synchronization

/// Revocations in PostgreSQL (migration 16), kept in memory by every process that serves.
///
/// `load()` reads the table whole; `watch()` (a thread of each serve worker) then sleeps on
/// `LISTEN presignd_revocations` and applies each change as it commits: the statement that
/// records a revocation also sends its notification, which PostgreSQL delivers at commit to every
/// listening connection, on every host, in milliseconds. A request reads only memory. Behind a
/// transaction pooler (where `LISTEN` cannot work) the watcher asks for what changed every 250 ms
/// instead. When its connection fails, or its server becomes read-only (a switchover), it
/// reconnects, reads the table again, and goes on.
package final class PostgresRevocations: Revocations, RevocationStore {
    let pool: PostgresPool
    let settings: PostgresSettings
    let logger: Logger
    let cutoffs = Mutex<[RevocationSubject: UnixSeconds]>([:])

    package static let channel = "presignd_revocations"
    /// How long the watcher sleeps on `LISTEN` before checking its connection (and, behind a
    /// transaction pooler, how often it asks for changes).
    let intervalMilliseconds: Int

    package init(pool: PostgresPool, settings: PostgresSettings, logger: Logger, intervalMilliseconds: Int = 250) {
        self.pool = pool
        self.settings = settings
        self.logger = logger
        self.intervalMilliseconds = intervalMilliseconds
    }

    package func cutoff(_ subject: RevocationSubject) -> UnixSeconds? { cutoffs.withLock { $0[subject] } }

    /// Every recorded cutoff.
    static let all: SQL = "SELECT kind, subject, extract(epoch from cutoff)::bigint FROM revocations"

    /// Reads the whole table into memory (a worker does this before its first request).
    package func load() throws(PostgresError) {
        try replace(with: pool.query(Self.all))
    }

    func replace(with rows: [PostgresRow]) {
        var loaded: [RevocationSubject: UnixSeconds] = [:]
        for row in rows {
            guard let subject = RevocationSubject(kind: row.string(0), name: row.string(1)), let cutoff = row.int64(2) else { continue }
            loaded[subject] = cutoff
        }
        cutoffs.withLock { $0 = loaded }
    }

    /// "<kind> <cutoff> <subject>": the payload the revoking statement sends.
    func apply(payload: String) {
        let parts = payload.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let cutoff = Int64(parts[1]), let subject = RevocationSubject(kind: String(parts[0]), name: String(parts[2])) else {
            logger.warning("revocations: an announcement presignd cannot read; reading the table again")
            if let rows = try? pool.query(Self.all) { replace(with: rows) }
            return
        }
        cutoffs.withLock { $0[subject] = max($0[subject] ?? cutoff, cutoff) }
    }

    /// Keeps the cutoffs current while `running()` holds: one connection of its own, `LISTEN`,
    /// the table read again after every (re)connection so nothing announced meanwhile is missed.
    package func watch(while running: () -> Bool = { true }) {
        var failing = false
        while running() {
            do {
                let connection = try PostgresConnection(settings, notice: { _ in })
                let listens = settings.pooler != .transaction
                if listens { try connection.execute("LISTEN presignd_revocations") }
                replace(with: try connection.query(Self.all))
                if failing { logger.info("revocations: listening again") }
                failing = false
                while running() {
                    if listens {
                        let heard = try connection.notifications(waitingAtMost: intervalMilliseconds)
                        for notification in heard where notification.channel == Self.channel { apply(payload: notification.payload) }
                        // Revocations commit on the primary, whose NOTIFY reaches its own
                        // listeners only: a server that became read-only (a fenced primary after
                        // a switchover, a standby) hears none, so the watcher connects again.
                        if heard.isEmpty, try connection.query("SHOW transaction_read_only").first?[0] != "off" {
                            logger.warning("revocations: the database became read-only; connecting to the primary again")
                            break
                        }
                    } else {
                        usleep(useconds_t(intervalMilliseconds) * 1_000)
                        replace(with: try connection.query(Self.all))
                    }
                }
                usleep(useconds_t(intervalMilliseconds) * 1_000)
            } catch {
                if !failing { logger.error("revocations: lost the database (\(error.logged)); revocations made meanwhile apply once it is back") }
                failing = true
                usleep(250_000)
            }
        }
    }

    /// Records the cutoff (a later one already recorded is kept) and its audit row, and
    /// announces it, in one statement: the announcement goes out exactly when it commits.
    package func revoke(_ subject: RevocationSubject, cutoff: UnixSeconds, reason: String?, audit: AuditEntry) throws -> UnixSeconds {
        let rows: [PostgresRow]
        do {
            rows = try pool.query("""
                WITH revoked AS (
                    INSERT INTO revocations AS r (kind, subject, cutoff, reason, revoked_by, revoked_at)
                    VALUES (\(subject.kind), \(subject.name), to_timestamp(\(String(cutoff))::bigint), \(reason), \(audit.actor),
                            to_timestamp(\(String(audit.at))::bigint))
                    ON CONFLICT (kind, subject) DO UPDATE
                    SET cutoff = greatest(r.cutoff, EXCLUDED.cutoff), reason = EXCLUDED.reason,
                        revoked_by = EXCLUDED.revoked_by, revoked_at = EXCLUDED.revoked_at
                    RETURNING kind, subject, extract(epoch from cutoff)::bigint AS cutoff
                ), audited AS (
                    INSERT INTO audit_log (at, actor, action, resource, client_address)
                    SELECT \(fragment: PostgresDocumentStore.auditValues(audit)) FROM revoked
                )
                SELECT cutoff, pg_notify('presignd_revocations', kind || ' ' || cutoff || ' ' || subject) FROM revoked
                """)
        } catch {
            if error.isUnavailable { throw DependencyUnavailable(.database) }
            logger.error("revocations: the statement failed: \(error)")
            throw error
        }
        guard let recorded = rows.first?.int64(0) else { preconditionFailure("INSERT … ON CONFLICT DO UPDATE returns its row") }
        // This process applies it at once, without waiting for its own announcement.
        cutoffs.withLock { $0[subject] = max($0[subject] ?? recorded, recorded) }
        return recorded
    }
}
