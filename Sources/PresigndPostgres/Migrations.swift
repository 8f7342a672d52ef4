/// One schema change. Versions only ever grow; a released migration is never edited.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String
}

/// presignd's schema, owned by the binary.
public enum Migrations {
    public static let all: [Migration] = [
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
    ]
}

/// Applies pending migrations: all in one transaction, under a transaction-scoped advisory
/// lock, so several hosts running `presignd migrate` at once apply each migration exactly once
/// and a failure leaves the schema as it was.
public struct Migrator: Sendable {
    /// An arbitrary constant naming presignd's migration lock (the bytes of "presignd").
    static let lockKey: Int64 = 0x7072_6573_6967_6E64

    public let migrations: [Migration]

    public init(migrations: [Migration] = Migrations.all) { self.migrations = migrations }

    /// Returns the versions it applied (empty when the schema was current).
    public func run(on connection: PostgresConnection) throws(PostgresError) -> [Int] {
        try connection.execute("BEGIN")
        do {
            _ = try connection.query("SELECT pg_advisory_xact_lock(\(Migrator.lockKey))")
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version     integer PRIMARY KEY,
                    name        text NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now()
                )
                """)
            let done = Set(try connection.query("SELECT version FROM schema_migrations").compactMap { $0.int64(0) }.map(Int.init))
            var applied: [Int] = []
            for migration in migrations.sorted(by: { $0.version < $1.version }) where !done.contains(migration.version) {
                try connection.execute(SQL(unsafeSQL: migration.sql))
                _ = try connection.query("INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))")
                applied.append(migration.version)
            }
            try connection.execute("COMMIT")
            return applied
        } catch {
            if connection.isHealthy { try? connection.execute("ROLLBACK") }
            throw error
        }
    }
}
