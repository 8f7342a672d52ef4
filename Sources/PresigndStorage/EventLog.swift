package import PresigndPostgres

/// The outbox as an operator sees it (`presignd events list|replay`) and as the sweeper trims it.
package struct EventLog: Sendable {
    let pool: PostgresPool

    package init(pool: PostgresPool) { self.pool = pool }

    /// One event's delivery to one endpoint (or, when `endpoint` is nil, an event no endpoint
    /// wanted: state `none`).
    package struct Entry: Sendable, Equatable {
        package let id: String
        package let type: String
        package let documentID: String
        package let at: String
        package let endpoint: String?
        package let state: String
        package let attempts: Int
        package let lastError: String?
    }

    /// The newest deliveries first, at most `limit`: all of them, or only those in `state`
    /// (`pending`, `delivered`, `dead`), of one endpoint or all.
    package func list(state: String?, endpoint: String?, limit: Int) throws(PostgresError) -> [Entry] {
        try pool.query("""
            SELECT e.id::text, e.type, e.document_id::text, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                   d.endpoint, coalesce(d.state, 'none'), coalesce(d.attempts, 0), d.last_error
            FROM events e LEFT JOIN event_deliveries d ON d.event_seq = e.seq
            WHERE (\(state)::text IS NULL OR d.state = \(state)) AND (\(endpoint)::text IS NULL OR d.endpoint = \(endpoint))
            ORDER BY e.seq DESC
            LIMIT \(limit)
            """).map { row in
            Entry(id: row.string(0), type: row.string(1), documentID: row.string(2), at: row.string(3), endpoint: row[4],
                  state: row.string(5), attempts: Int(row.int64(6) ?? 0), lastError: row[7])
        }
    }

    /// Makes dead deliveries due again with fresh attempts: the event `id`'s, or (nil) every dead
    /// one, of one endpoint or all; wakes the deliverer. Answers how many.
    package func replay(id: String?, endpoint: String?) throws(PostgresError) -> Int {
        let rows = try pool.query("""
            WITH replayed AS (
                UPDATE event_deliveries d SET state = 'pending', attempts = 0, next_at = now(), last_error = NULL
                FROM events e
                WHERE e.seq = d.event_seq AND d.state = 'dead'
                  AND (\(id)::text IS NULL OR e.id = \(id)::uuid) AND (\(endpoint)::text IS NULL OR d.endpoint = \(endpoint))
                RETURNING 1
            )
            SELECT count(*), pg_notify('presignd_deliveries', '') FROM replayed
            """)
        return Int(rows.first?.int64(0) ?? 0)
    }

    /// Removes events older than `days` that wait for no delivery (their deliveries go with
    /// them), a batch at a time; answers how many.
    package func trim(olderThanDays days: Int, batch: Int = 10_000) throws(PostgresError) -> Int {
        var removed = 0
        while true {
            let rows = try pool.query("""
                WITH old AS (
                    SELECT e.seq FROM events e
                    WHERE e.at < now() - \(days) * interval '1 day'
                      AND NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.event_seq = e.seq AND d.state = 'pending')
                    ORDER BY e.at
                    LIMIT \(batch)
                ), gone AS (
                    DELETE FROM events WHERE seq IN (SELECT seq FROM old) RETURNING 1
                )
                SELECT count(*) FROM gone
                """)
            let count = Int(rows.first?.int64(0) ?? 0)
            removed += count
            if count < batch { return removed }
        }
    }
}
