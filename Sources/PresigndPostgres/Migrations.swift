/// One schema change. Versions only ever grow; a released migration is never edited.
package struct Migration: Sendable {
    package let version: Int
    package let name: String
    package let step: Step

    /// How a migration runs against a table that may hold millions of rows while presignd serves.
    package enum Step: Sendable {
        /// SQL run in one transaction together with the other `sql` migrations around it.
        case sql(String)
        /// SQL committed on its own, never together with another migration's locks (for
        /// `VALIDATE CONSTRAINT`, which reads the whole table under a lock that blocks no one,
        /// unless a lock taken before it in the same transaction does).
        case alone(String)
        /// One statement run again and again, each time in its own transaction, until it
        /// changes no row: a backfill in batches, so no row lock is held for long.
        case batches(String)
        /// Indexes built with `CREATE INDEX CONCURRENTLY`, outside any transaction, so building
        /// one on a large table never blocks the writers of that table.
        case concurrentIndexes([ConcurrentIndex])
        /// A `DO` block that commits its own batches (each under its own short lock), sent outside
        /// any transaction; run again after a failure, it starts over, so it must be idempotent.
        case committingBatches(String)
    }

    package init(version: Int, name: String, sql: String) {
        self.init(version: version, name: name, step: .sql(sql))
    }

    package init(version: Int, name: String, step: Step) {
        self.version = version
        self.name = name
        self.step = step
    }

    /// The SQL a transaction runs for it: an `sql` or `alone` step's; nil for the others.
    var transactionSQL: String? {
        switch step {
        case .sql(let text), .alone(let text): return text
        case .batches, .concurrentIndexes, .committingBatches: return nil
        }
    }

    /// Whether it shares one transaction with the `sql` migrations next to it.
    var joinsTransaction: Bool {
        if case .sql = step { return true }
        return false
    }
}

/// An index a migration builds without locking writers.
package struct ConcurrentIndex: Sendable {
    package let name: String
    /// What follows `CREATE INDEX CONCURRENTLY name ON`: the table, columns and any predicate.
    package let definition: String
    /// An index this one makes redundant, dropped (also concurrently) once this one is built.
    package let replaces: String?

    package init(name: String, definition: String, replaces: String? = nil) {
        self.name = name
        self.definition = definition
        self.replaces = replaces
    }
}

/// presignd's schema, owned by the binary.
package enum Migrations {
    package static let all: [Migration] = [
        Migration(version: 1, name: "documents, shares, audit log", sql: """
            CREATE TABLE documents (
                id              uuid PRIMARY KEY,
                owner_id        text NOT NULL,
                object_key      text NOT NULL UNIQUE,
                purpose         text NOT NULL,
                file_name       text NOT NULL,
                declared_size   bigint NOT NULL CHECK (declared_size > 0),
                declared_type   text NOT NULL,
                actual_size     bigint,
                actual_type     text,
                status          text NOT NULL CHECK (status IN ('pending', 'ready', 'rejected')),
                rejection       text,
                created_at      timestamptz NOT NULL,
                updated_at      timestamptz NOT NULL
            );
            CREATE INDEX documents_owner_listing ON documents (owner_id, created_at DESC, id DESC) WHERE status = 'ready';

            CREATE TABLE document_shares (
                document_id     uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
                user_id         text NOT NULL,
                created_at      timestamptz NOT NULL,
                PRIMARY KEY (document_id, user_id)
            );
            CREATE INDEX document_shares_user ON document_shares (user_id);

            CREATE TABLE audit_log (
                id              bigserial PRIMARY KEY,
                at              timestamptz NOT NULL,
                actor           text NOT NULL,
                action          text NOT NULL,
                resource        text NOT NULL,
                client_address  text NOT NULL
            );
            CREATE INDEX audit_log_resource ON audit_log (resource, at);

            -- Append-only: the audit log is evidence, so rows can be added, never changed.
            CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_log is append-only';
            END $$;
            CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
                FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
            """),
        Migration(version: 2, name: "upload lifecycle: multipart uploads, cancel, expiry, deletes in two steps", sql: """
            ALTER TABLE documents DROP CONSTRAINT documents_status_check;
            ALTER TABLE documents ADD CONSTRAINT documents_status_check CHECK (status IN
                ('pending', 'uploading', 'completing', 'ready', 'rejected', 'aborted', 'expired', 'deleting'));
            ALTER TABLE documents ADD COLUMN upload_id text UNIQUE;
            ALTER TABLE documents ADD COLUMN part_size bigint CHECK (part_size > 0);
            ALTER TABLE documents ADD CONSTRAINT documents_multipart_has_upload_id
                CHECK (status NOT IN ('uploading', 'completing') OR upload_id IS NOT NULL);
            -- The sweeper's scan: only unfinished rows, oldest first.
            CREATE INDEX documents_unfinished ON documents (created_at)
                WHERE status IN ('pending', 'uploading', 'completing', 'deleting');
            """),
        Migration(version: 3, name: "quotas: usage per owner and purpose", sql: """
            -- Kept only when quotas are configured: files and bytes each owner holds per purpose
            -- (unfinished uploads at their declared size, ready ones at their actual size).
            CREATE TABLE upload_usage (
                owner_id        text NOT NULL,
                purpose         text NOT NULL,
                files           bigint NOT NULL,
                bytes           bigint NOT NULL,
                PRIMARY KEY (owner_id, purpose)
            );
            -- Usage without quotas, and the first count of an owner's usage row.
            CREATE INDEX documents_owner_usage ON documents (owner_id, purpose)
                WHERE status IN ('pending', 'uploading', 'completing', 'ready');
            """),
        Migration(version: 4, name: "audit log in monthly partitions", sql: """
            -- The old table's rows move into a table partitioned by month (UTC), so retention can
            -- drop whole months and the table stays append-only. Ids keep their sequence.
            ALTER TABLE audit_log RENAME TO audit_log_unpartitioned;
            ALTER TABLE audit_log_unpartitioned RENAME CONSTRAINT audit_log_pkey TO audit_log_unpartitioned_pkey;
            ALTER INDEX audit_log_resource RENAME TO audit_log_unpartitioned_resource;
            ALTER SEQUENCE audit_log_id_seq OWNED BY NONE;

            CREATE TABLE audit_log (
                id              bigint NOT NULL DEFAULT nextval('audit_log_id_seq'),
                at              timestamptz NOT NULL,
                actor           text NOT NULL,
                action          text NOT NULL,
                resource        text NOT NULL,
                client_address  text NOT NULL,
                PRIMARY KEY (id, at)
            ) PARTITION BY RANGE (at);
            ALTER SEQUENCE audit_log_id_seq OWNED BY audit_log.id;
            -- A document's history, and an actor's.
            CREATE INDEX audit_log_resource ON audit_log (resource, at);
            CREATE INDEX audit_log_actor ON audit_log (actor, at);
            CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
                FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
            -- Rows of a month whose partition was not made in time land here rather than fail;
            -- making that month's partition later moves them out.
            CREATE TABLE audit_log_default PARTITION OF audit_log DEFAULT;
            CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log_default
                FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();

            -- The partition of the month holding `day` (UTC), made if missing, with the
            -- append-only trigger; rows of that month waiting in the default partition move in.
            -- Serialised by an advisory lock, so migrate and sweepers may run it at once.
            CREATE FUNCTION presignd_audit_partition(day date) RETURNS text LANGUAGE plpgsql AS $fn$
            DECLARE
                first_day date := date_trunc('month', day)::date;
                name text := 'audit_log_y' || to_char(first_day, 'YYYY"m"MM');
                low timestamptz := first_day::timestamp AT TIME ZONE 'UTC';
                high timestamptz := (first_day + interval '1 month')::timestamp AT TIME ZONE 'UTC';
            BEGIN
                PERFORM pg_advisory_xact_lock(7526706173746974);
                IF to_regclass(name) IS NOT NULL THEN
                    RETURN name;
                END IF;
                EXECUTE format('CREATE TABLE %I (LIKE audit_log INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
                IF EXISTS (SELECT 1 FROM audit_log_default WHERE at >= low AND at < high) THEN
                    ALTER TABLE audit_log_default DISABLE TRIGGER audit_log_append_only;
                    EXECUTE format('WITH moved AS (DELETE FROM audit_log_default WHERE at >= %L AND at < %L RETURNING *) '
                                   'INSERT INTO %I SELECT * FROM moved', low, high, name);
                    ALTER TABLE audit_log_default ENABLE TRIGGER audit_log_append_only;
                END IF;
                EXECUTE format('ALTER TABLE audit_log ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', name, low, high);
                EXECUTE format('CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON %I '
                               'FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only()', name);
                RETURN name;
            END $fn$;

            -- This month and the next three, then every month the old rows span.
            SELECT presignd_audit_partition(((now() AT TIME ZONE 'UTC')::date + make_interval(months => m))::date)
            FROM generate_series(0, 3) AS m;
            SELECT presignd_audit_partition(month::date)
            FROM (SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'UTC') AS month FROM audit_log_unpartitioned) months;
            INSERT INTO audit_log SELECT id, at, actor, action, resource, client_address FROM audit_log_unpartitioned;
            DROP TABLE audit_log_unpartitioned;
            """),
        Migration(version: 5, name: "shares carry their document's creation time, for listing in index order", sql: """
            -- Listing merges the user's own documents with those shared with them, newest first;
            -- with the document's creation time on the share, each side is one bounded index scan.
            -- A document's creation time never changes, so the copy never goes stale. Adding the
            -- column and the trigger takes the table's lock for a moment only; the trigger fills
            -- the column for shares any writer adds (an older presignd during a rolling deploy
            -- too), and the next migration fills the rest in batches.
            ALTER TABLE document_shares ADD COLUMN document_created_at timestamptz;
            CREATE FUNCTION document_shares_created_at() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.document_created_at IS NULL THEN
                    SELECT created_at INTO NEW.document_created_at FROM documents WHERE id = NEW.document_id;
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER document_shares_created_at BEFORE INSERT ON document_shares
                FOR EACH ROW EXECUTE FUNCTION document_shares_created_at();
            """),
        Migration(version: 6, name: "shares: their documents' creation time, filled in batches", step: .batches("""
            UPDATE document_shares s SET document_created_at = d.created_at
            FROM documents d
            WHERE d.id = s.document_id
              AND (s.document_id, s.user_id) IN (SELECT document_id, user_id FROM document_shares
                                                 WHERE document_created_at IS NULL LIMIT 10000)
            """)),
        Migration(version: 7, name: "shares: the creation time is required", sql: """
            ALTER TABLE document_shares ADD CONSTRAINT document_shares_document_created_at_set
                CHECK (document_created_at IS NOT NULL) NOT VALID;
            """),
        Migration(version: 8, name: "shares: the creation time is required, checked", step: .alone("""
            ALTER TABLE document_shares VALIDATE CONSTRAINT document_shares_document_created_at_set;
            """)),
        Migration(version: 9, name: "index: shares by user, newest document first", step: .concurrentIndexes([
            ConcurrentIndex(name: "document_shares_listing",
                            definition: "document_shares (user_id, document_created_at DESC, document_id DESC)"),
        ])),
        Migration(version: 10, name: "index: usage from the index alone", step: .concurrentIndexes([
            // Usage without quotas is counted from an index-only scan of the owner's entries.
            ConcurrentIndex(name: "documents_owner_usage_covering",
                            definition: """
                                documents (owner_id, purpose) INCLUDE (status, declared_size, actual_size)
                                WHERE status IN ('pending', 'uploading', 'completing', 'ready')
                                """,
                            replaces: "documents_owner_usage"),
        ])),
        Migration(version: 11, name: "index: deletes that stopped half-way, for the sweeper", step: .concurrentIndexes([
            // The sweeper's second question (rows still `deleting` after a while) by its own index,
            // so its scan never reads every unfinished upload.
            ConcurrentIndex(name: "documents_deleting", definition: "documents (updated_at) WHERE status = 'deleting'"),
        ])),
        Migration(version: 12, name: "usage kept for every owner, quotas or not", step: .committingBatches("""
            -- From now on every upload and state change keeps its owner's upload_usage row (until
            -- now only with quotas configured), so usage is read, never counted. Each batch of
            -- 1,000 owners is recounted under a lock that holds writers back for that batch only,
            -- so no upload committed meanwhile is counted twice or missed; rows of owners who no
            -- longer hold anything are zeroed.
            DO $recount$
            DECLARE
                done_to text := '';
                upto text;
            BEGIN
                LOOP
                    SELECT max(owner_id) INTO upto FROM (
                        (SELECT DISTINCT owner_id FROM documents
                         WHERE owner_id > done_to AND status IN ('pending', 'uploading', 'completing', 'ready')
                         ORDER BY owner_id LIMIT 1000)
                        UNION
                        (SELECT owner_id FROM upload_usage WHERE owner_id > done_to ORDER BY owner_id LIMIT 1000)
                        ORDER BY owner_id LIMIT 1000) batch;
                    EXIT WHEN upto IS NULL;
                    LOCK TABLE upload_usage IN SHARE ROW EXCLUSIVE MODE;
                    INSERT INTO upload_usage AS u (owner_id, purpose, files, bytes)
                    SELECT owner_id, purpose, count(*),
                           sum(CASE WHEN status = 'ready' THEN coalesce(actual_size, declared_size) ELSE declared_size END)
                    FROM documents
                    WHERE owner_id > done_to AND owner_id <= upto AND status IN ('pending', 'uploading', 'completing', 'ready')
                    GROUP BY owner_id, purpose
                    ON CONFLICT (owner_id, purpose) DO UPDATE SET files = excluded.files, bytes = excluded.bytes
                    WHERE (u.files, u.bytes) IS DISTINCT FROM (excluded.files, excluded.bytes);
                    UPDATE upload_usage u SET files = 0, bytes = 0
                    WHERE u.owner_id > done_to AND u.owner_id <= upto AND (u.files <> 0 OR u.bytes <> 0)
                      AND NOT EXISTS (SELECT 1 FROM documents d
                                      WHERE d.owner_id = u.owner_id AND d.purpose = u.purpose
                                        AND d.status IN ('pending', 'uploading', 'completing', 'ready'));
                    COMMIT;
                    done_to := upto;
                END LOOP;
            END $recount$
            """)),
        Migration(version: 13, name: "documents: the checksum bound into the upload", sql: """
            -- A nullable column without a default: added without rewriting the table.
            ALTER TABLE documents ADD COLUMN checksum text;
            """),
        Migration(version: 14, name: "documents: the bucket each upload went to", sql: """
            -- Several presignd deployments (each its own bucket) may share one database: each
            -- sweeper expires only its own bucket's uploads. Rows written before have none (NULL),
            -- and every sweeper still takes them. Added without rewriting the table.
            ALTER TABLE documents ADD COLUMN bucket text;
            """),
        Migration(version: 15, name: "events: an outbox written with each change, and its webhook deliveries", sql: """
            -- One row per change an application hears of, written in the statement of the change
            -- (with a pending delivery per webhook endpoint that wants it), so both exist exactly
            -- when the change committed. `seq` orders them (per document it is commit order: the
            -- change's row lock is taken before its event is numbered); `body` is the webhook
            -- payload, fixed at commit, so every attempt sends the same bytes.
            CREATE TABLE events (
                seq             bigserial PRIMARY KEY,
                id              uuid NOT NULL UNIQUE,
                type            text NOT NULL,
                document_id     uuid NOT NULL,
                owner_id        text NOT NULL,
                purpose         text NOT NULL,
                at              timestamptz NOT NULL,
                body            text NOT NULL
            );
            CREATE INDEX events_at ON events (at);

            CREATE TABLE event_deliveries (
                event_seq       bigint NOT NULL REFERENCES events (seq) ON DELETE CASCADE,
                endpoint        text NOT NULL,
                document_id     uuid NOT NULL,
                state           text NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
                attempts        integer NOT NULL DEFAULT 0,
                next_at         timestamptz NOT NULL,
                last_error      text,
                delivered_at    timestamptz,
                PRIMARY KEY (event_seq, endpoint)
            );
            -- What is due, per endpoint, in order; the first pending event of each document; the dead letters.
            CREATE INDEX event_deliveries_due ON event_deliveries (endpoint, next_at, event_seq) WHERE state = 'pending';
            CREATE INDEX event_deliveries_document ON event_deliveries (endpoint, document_id, event_seq) WHERE state = 'pending';
            CREATE INDEX event_deliveries_dead ON event_deliveries (endpoint, event_seq) WHERE state = 'dead';

            -- No trigger sends NOTIFY here: a transaction that notifies holds a database-wide lock
            -- from its commit's start to its end (WAL flush included), so every change with an
            -- event would commit one at a time. presignd announces each event on presignd_events
            -- just after its commit, in a statement of its own.
            """),
        Migration(version: 16, name: "revocations: per-user cutoffs and retired CloudFront keys", sql: """
            -- presignd refuses a user's credentials (tokens, media cookies) issued before the
            -- user's cutoff, and every cookie a retired CloudFront key signed. Each process keeps
            -- this small table in memory: it reads it whole when it starts (or reconnects) and
            -- hears each change on the channel presignd_revocations, whose payload is
            -- "<kind> <cutoff epoch seconds> <subject>", sent by the statement that changed it.
            CREATE TABLE revocations (
                kind            text NOT NULL CHECK (kind IN ('user', 'cdn_key')),
                subject         text NOT NULL,
                cutoff          timestamptz NOT NULL,
                reason          text,
                revoked_by      text NOT NULL,
                revoked_at      timestamptz NOT NULL,
                PRIMARY KEY (kind, subject)
            );
            """),
    ]
}

/// Applies pending migrations under a session advisory lock, so several hosts running `presignd
/// migrate` at once apply each migration exactly once. Consecutive `sql` migrations run in one
/// transaction (a failure leaves the schema as it was before them); the other steps run as
/// `Migration.Step` says, and a run that failed half-way is taken up again by the next (a
/// backfill goes on where it stopped, an index left invalid is dropped and built anew). The
/// session has no statement timeout (a backfill or an index build on a large table takes what it
/// takes) and a lock timeout of 10 s: a migration that cannot get its lock fails and can be run
/// again, instead of queueing every reader of the table behind it.
package struct Migrator: Sendable {
    /// An arbitrary constant naming presignd's migration lock (the bytes of "presignd").
    static let lockKey: Int64 = 0x7072_6573_6967_6E64

    package let migrations: [Migration]

    package init(migrations: [Migration] = Migrations.all) { self.migrations = migrations }

    /// Returns the versions it applied (empty when the schema was current).
    package func run(on connection: PostgresConnection) throws(PostgresError) -> [Int] {
        // Waiting for another host's migration, a backfill or an index build takes what it takes.
        let deadline = connection.answerDeadlineMilliseconds
        connection.answerDeadlineMilliseconds = nil
        defer { connection.answerDeadlineMilliseconds = deadline }
        try connection.execute("SET statement_timeout = 0; SET lock_timeout = '10s'")
        _ = try connection.query("SELECT pg_advisory_lock(\(Migrator.lockKey))")
        defer { _ = try? connection.query("SELECT pg_advisory_unlock(\(Migrator.lockKey))") }
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version     integer PRIMARY KEY,
                name        text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            )
            """)
        let done = Set(try connection.query("SELECT version FROM schema_migrations").compactMap { $0.int64(0) }.map(Int.init))
        let pending = migrations.sorted(by: { $0.version < $1.version }).filter { !done.contains($0.version) }
        var applied: [Int] = []
        var index = 0
        while index < pending.count {
            let migration = pending[index]
            switch migration.step {
            case .sql:
                var batch = [migration]
                while index + batch.count < pending.count, pending[index + batch.count].joinsTransaction {
                    batch.append(pending[index + batch.count])
                }
                try inOneTransaction(batch, on: connection)
                applied += batch.map(\.version)
                index += batch.count
                continue
            case .alone:
                try inOneTransaction([migration], on: connection)
            case .batches(let text):
                // Each batch commits on its own (autocommit); the last one changes nothing.
                while try connection.affectedRows(SQL(unsafeSQL: text)) > 0 {}
                try record(migration, on: connection)
            case .concurrentIndexes(let indexes):
                for concurrent in indexes { try build(concurrent, on: connection) }
                try record(migration, on: connection)
            case .committingBatches(let text):
                try connection.execute(SQL(unsafeSQL: text))
                try record(migration, on: connection)
            }
            applied.append(migration.version)
            index += 1
        }
        return applied
    }

    /// `batch`'s SQL and their records, committed together.
    func inOneTransaction(_ batch: [Migration], on connection: PostgresConnection) throws(PostgresError) {
        try connection.execute("BEGIN")
        do {
            for migration in batch {
                guard let text = migration.transactionSQL else { preconditionFailure("migration \(migration.version) runs outside a transaction") }
                try connection.execute(SQL(unsafeSQL: text))
                try record(migration, on: connection)
            }
            try connection.execute("COMMIT")
        } catch {
            if connection.isHealthy { try? connection.execute("ROLLBACK") }
            throw error
        }
    }

    func record(_ migration: Migration, on connection: PostgresConnection) throws(PostgresError) {
        _ = try connection.query("INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))")
    }

    /// `CREATE INDEX CONCURRENTLY`; an index of that name left invalid by a build that failed is
    /// dropped first (`IF NOT EXISTS` would take it for done).
    func build(_ index: ConcurrentIndex, on connection: PostgresConnection) throws(PostgresError) {
        let invalid = try connection.query("""
            SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE c.relname = \(index.name) AND NOT i.indisvalid
            """)
        if !invalid.isEmpty { try connection.execute(SQL(unsafeSQL: "DROP INDEX CONCURRENTLY \(index.name)")) }
        try connection.execute(SQL(unsafeSQL: "CREATE INDEX CONCURRENTLY IF NOT EXISTS \(index.name) ON \(index.definition)"))
        if let replaced = index.replaces {
            try connection.execute(SQL(unsafeSQL: "DROP INDEX CONCURRENTLY IF EXISTS \(replaced)"))
        }
    }
}
