#if canImport(Glibc)
import Glibc
#endif
package import PresigndPostgres
import PresigndSupport
import Synchronization

/// The read-only routes' replica: a pool on it, and a gate that is open only while a watcher
/// (a thread per worker) has seen the replica lag the primary by at most the configured bound,
/// within the last two checks. A replica that is paused, not streaming (its WAL receiver is not
/// running: cut off from the primary), unreachable, or behind closes the gate, and reads go to
/// the primary; no request ever waits for the check. A primary named by the read URL (all
/// replicas down, `prefer-standby`) counts as current.
package final class ReplicaReads: Sendable {
    let pool: PostgresPool
    package let maxLagMilliseconds: Int
    let checkIntervalMilliseconds: Int
    /// Until when (monotonic ms) the last check vouches for the replica.
    let freshUntil = Atomic<Int64>(0)
    /// The lag the last check saw (ms; -1: none or unknown), for the log and the tests.
    let lastLag = Atomic<Int64>(-1)

    package init(settings: PostgresSettings, maxLagMilliseconds: Int, checkIntervalMilliseconds: Int = 250,
                 observer: PoolObserver = PoolObserver()) {
        self.pool = PostgresPool(settings: settings, observer: observer)
        self.maxLagMilliseconds = maxLagMilliseconds
        self.checkIntervalMilliseconds = checkIntervalMilliseconds
    }

    /// Whether a read may go to the replica now.
    package var isFresh: Bool { MonotonicTime.milliseconds() < freshUntil.load(ordering: .relaxed) }

    /// A read on the replica failed: the primary serves until the next good check.
    func markStale() { freshUntil.store(0, ordering: .relaxed) }

    /// How far behind the replica is, in ms; NULL when it cannot say (paused, not streaming).
    static let lag: SQL = """
        SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0
                    WHEN pg_is_wal_replay_paused() THEN NULL
                    WHEN (SELECT pid FROM pg_stat_wal_receiver) IS NULL THEN NULL
                    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                    ELSE greatest(0, (extract(epoch from now() - pg_last_xact_replay_timestamp()) * 1000)::bigint) END
        """

    /// One check: opens the gate for two intervals when the replica is within the bound.
    package func check() {
        do {
            let lag = try pool.query(Self.lag).first?.int64(0)
            lastLag.store(lag ?? -1, ordering: .relaxed)
            if let lag, lag <= Int64(maxLagMilliseconds) {
                freshUntil.store(MonotonicTime.milliseconds() + Int64(2 * checkIntervalMilliseconds), ordering: .relaxed)
            } else {
                markStale()
            }
        } catch {
            lastLag.store(-1, ordering: .relaxed)
            markStale()
        }
    }

    /// Checks every interval while `running()` holds (a worker's thread).
    package func watch(while running: () -> Bool = { true }) {
        while running() {
            check()
            usleep(useconds_t(checkIntervalMilliseconds) * 1_000)
        }
    }

    /// Runs `sql` on the replica; errors are the caller's to handle (it falls back).
    func query(_ sql: SQL) throws(PostgresError) -> [PostgresRow] { try pool.query(sql) }
}
