import PresigndApp
import PresigndCore
import PresigndPostgres

/// `DocumentStore` on PostgreSQL. Each write and its audit entry go in one statement (a
/// data-modifying CTE), so they commit together in a single round trip.
public struct PostgresDocumentStore: DocumentStore {
    let pool: PostgresPool
    let logger: Logger

    public init(pool: PostgresPool, logger: Logger) {
        self.pool = pool
        self.logger = logger
    }

    public func insertPending(_ record: DocumentRecord, audit: AuditEntry) throws {
        try run("""
            WITH audit AS (
                INSERT INTO audit_log (at, actor, action, resource, client_address)
                VALUES (to_timestamp(\(audit.at)), \(audit.actor), \(audit.action), \(audit.resource), \(audit.clientAddress))
            )
            INSERT INTO documents (id, owner_id, object_key, purpose, file_name, declared_size, declared_type, status, created_at, updated_at)
            VALUES (\(record.id)::uuid, \(record.ownerID), \(record.objectKey), \(record.purpose), \(record.fileName),
                    \(record.declaredSize), \(record.declaredType), 'pending', to_timestamp(\(record.createdAt)), to_timestamp(\(record.createdAt)))
            """)
    }

    public func document(id: String) throws -> DocumentRecord? {
        try run("""
            SELECT id::text, owner_id, object_key, purpose, file_name, declared_size, declared_type, actual_size, actual_type,
                   status, rejection, extract(epoch from created_at)::bigint
            FROM documents WHERE id = \(id)::uuid
            """).first.map(Self.record)
    }

    public func markReady(id: String, size: Int64, contentType: String, audit: AuditEntry) throws -> Bool {
        let rows = try run("""
            WITH updated AS (
                UPDATE documents SET status = 'ready', actual_size = \(size), actual_type = \(contentType), updated_at = to_timestamp(\(audit.at))
                WHERE id = \(id)::uuid AND status = 'pending'
                RETURNING id
            ), audit AS (
                INSERT INTO audit_log (at, actor, action, resource, client_address)
                SELECT to_timestamp(\(audit.at)), \(audit.actor), \(audit.action), \(audit.resource), \(audit.clientAddress) FROM updated
            )
            SELECT count(*) FROM updated
            """)
        return rows.first?.int64(0) == 1
    }

    public func markRejected(id: String, reason: String, audit: AuditEntry) throws {
        try run("""
            WITH updated AS (
                UPDATE documents SET status = 'rejected', rejection = \(reason), updated_at = to_timestamp(\(audit.at))
                WHERE id = \(id)::uuid AND status = 'pending'
                RETURNING id
            )
            INSERT INTO audit_log (at, actor, action, resource, client_address)
            SELECT to_timestamp(\(audit.at)), \(audit.actor), \(audit.action), \(audit.resource), \(audit.clientAddress) FROM updated
            """)
    }

    public func openForDownload(id: String, userID: String, audit: AuditEntry) throws -> DocumentRecord? {
        try run("""
            WITH doc AS (
                SELECT d.id::text, d.owner_id, d.object_key, d.purpose, d.file_name, d.declared_size, d.declared_type,
                       d.actual_size, d.actual_type, d.status, d.rejection, extract(epoch from d.created_at)::bigint
                FROM documents d
                WHERE d.id = \(id)::uuid AND d.status = 'ready'
                  AND (d.owner_id = \(userID)
                       OR EXISTS (SELECT 1 FROM document_shares s WHERE s.document_id = d.id AND s.user_id = \(userID)))
            ), audit AS (
                INSERT INTO audit_log (at, actor, action, resource, client_address)
                SELECT to_timestamp(\(audit.at)), \(audit.actor), \(audit.action), \(audit.resource), \(audit.clientAddress) FROM doc
            )
            SELECT * FROM doc
            """).first.map(Self.record)
    }

    public func listAccessible(userID: String, after cursor: DocumentCursor?, limit: Int) throws -> [DocumentRecord] {
        // A NULL cursor compares as "no lower bound"; (created_at, id) is the keyset order.
        try run("""
            SELECT d.id::text, d.owner_id, d.object_key, d.purpose, d.file_name, d.declared_size, d.declared_type,
                   d.actual_size, d.actual_type, d.status, d.rejection, extract(epoch from d.created_at)::bigint
            FROM documents d
            WHERE d.status = 'ready'
              AND (d.owner_id = \(userID)
                   OR EXISTS (SELECT 1 FROM document_shares s WHERE s.document_id = d.id AND s.user_id = \(userID)))
              AND (\(cursor?.createdAt)::bigint IS NULL
                   OR (d.created_at, d.id) < (to_timestamp(\(cursor?.createdAt)::bigint), \(cursor?.id)::uuid))
            ORDER BY d.created_at DESC, d.id DESC
            LIMIT \(limit)
            """).map(Self.record)
    }

    public func share(documentID: String, with userID: String, audit: AuditEntry) throws {
        try run("""
            WITH shared AS (
                INSERT INTO document_shares (document_id, user_id, created_at)
                VALUES (\(documentID)::uuid, \(userID), to_timestamp(\(audit.at)))
                ON CONFLICT DO NOTHING
            )
            INSERT INTO audit_log (at, actor, action, resource, client_address)
            VALUES (to_timestamp(\(audit.at)), \(audit.actor), \(audit.action), \(audit.resource), \(audit.clientAddress))
            """)
    }

    public func unshare(documentID: String, from userID: String, audit: AuditEntry) throws {
        try run("""
            WITH removed AS (
                DELETE FROM document_shares WHERE document_id = \(documentID)::uuid AND user_id = \(userID)
            )
            INSERT INTO audit_log (at, actor, action, resource, client_address)
            VALUES (to_timestamp(\(audit.at)), \(audit.actor), \(audit.action), \(audit.resource), \(audit.clientAddress))
            """)
    }

    public func delete(documentID: String, audit: AuditEntry) throws {
        try run("""
            WITH removed AS (
                DELETE FROM documents WHERE id = \(documentID)::uuid
            )
            INSERT INTO audit_log (at, actor, action, resource, client_address)
            VALUES (to_timestamp(\(audit.at)), \(audit.actor), \(audit.action), \(audit.resource), \(audit.clientAddress))
            """)
    }

    public func record(_ audit: AuditEntry) throws {
        try run("""
            INSERT INTO audit_log (at, actor, action, resource, client_address)
            VALUES (to_timestamp(\(audit.at)), \(audit.actor), \(audit.action), \(audit.resource), \(audit.clientAddress))
            """)
    }

    public func ping() throws {
        try run("SELECT 1")
    }

    /// Runs one statement; database outages become `DependencyUnavailable` (503), anything
    /// else is logged with its SQLSTATE (never its values) and becomes a 500.
    @discardableResult
    func run(_ sql: SQL) throws -> [PostgresRow] {
        do {
            return try pool.query(sql)
        } catch {
            if error.isUnavailable {
                logger.warning("database unavailable: \(error)")
                throw DependencyUnavailable(.database)
            }
            logger.error("database statement failed: \(error)")
            throw error
        }
    }

    static func record(_ row: PostgresRow) -> DocumentRecord {
        DocumentRecord(id: row.string(0), ownerID: row.string(1), objectKey: row.string(2), purpose: row.string(3),
                       fileName: row.string(4), declaredSize: row.int64(5) ?? 0, declaredType: row.string(6),
                       actualSize: row.int64(7), actualType: row[8], status: DocumentStatus(rawValue: row.string(9)) ?? .pending,
                       rejection: row[10], createdAt: row.int64(11) ?? 0)
    }
}
