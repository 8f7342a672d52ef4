import PresigndApp
import PresigndHTTP
import PresigndMetrics
import PresigndPostgres
import PresigndSigning
import PresigndUploads

/// The statements every presign, download and CDN cookie request runs, with their text built once:
/// each is written by interpolation as everywhere else (`…SQL`, which fixes the text PostgreSQL
/// sees), kept as a `SQL.Statement`, and run with binds listed in the same order (`…Binds`).
/// `PostgresDocumentStoreStatementTests` checks that both give the same text and binds.
extension PostgresDocumentStore {
    static let insertTrackedStatement = SQL.Statement(insertTrackedSQL(placeholderRecord, audit: placeholderAudit, quota: nil))
    static let insertUntrackedStatement = SQL.Statement(insertUntrackedSQL(placeholderRecord, audit: placeholderAudit))
    static let openForDownloadStatement = SQL.Statement(openForDownloadSQL(id: "", userID: "", audit: placeholderAudit))
    static let recordAuditStatement = SQL.Statement(recordAuditSQL(placeholderAudit))

    static let placeholderAudit = AuditEntry(actor: "", action: .uploadPresign, resource: "", clientAddress: "", at: 0)
    static let placeholderRecord = DocumentRecord(id: "", ownerID: "", objectKey: "", purpose: "", fileName: "",
                                                  declaredSize: 0, declaredType: "", status: .pending, createdAt: 0)

    /// `auditValues`' binds.
    static func auditBinds(_ audit: AuditEntry) -> [String?] {
        [String(audit.at), audit.actor, audit.action?.rawValue, audit.resource, audit.clientAddress]
    }

    static func insertTrackedSQL(_ record: DocumentRecord, audit: AuditEntry, quota: UploadQuota?) -> SQL {
        """
        WITH reserved AS (
            INSERT INTO upload_usage AS u (owner_id, purpose, files, bytes)
            SELECT \(record.ownerID), \(record.purpose), c.files + 1, c.bytes + \(record.declaredSize)
            FROM (SELECT count(*) AS files, coalesce(sum(\(fragment: Self.charged)), 0) AS bytes
                  FROM documents
                  WHERE owner_id = \(record.ownerID) AND purpose = \(record.purpose) AND \(fragment: Self.holdsQuota)
                    AND NOT EXISTS (SELECT 1 FROM upload_usage WHERE owner_id = \(record.ownerID) AND purpose = \(record.purpose))) c
            WHERE c.files + 1 <= coalesce(\(quota?.maxFiles)::bigint, c.files + 1)
              AND c.bytes + \(record.declaredSize) <= coalesce(\(quota?.maxBytes)::bigint, c.bytes + \(record.declaredSize))
            ON CONFLICT (owner_id, purpose) DO UPDATE SET files = u.files + 1, bytes = u.bytes + \(record.declaredSize)
            WHERE u.files + 1 <= coalesce(\(quota?.maxFiles)::bigint, u.files + 1)
              AND u.bytes + \(record.declaredSize) <= coalesce(\(quota?.maxBytes)::bigint, u.bytes + \(record.declaredSize))
            RETURNING 1
        ), audit AS (
            INSERT INTO audit_log (at, actor, action, resource, client_address)
            SELECT \(fragment: Self.auditValues(audit)) FROM reserved
        ), doc AS (
            INSERT INTO documents (id, owner_id, object_key, purpose, file_name, declared_size, declared_type, status,
                                   upload_id, part_size, created_at, updated_at)
            SELECT \(record.id)::uuid, \(record.ownerID), \(record.objectKey), \(record.purpose), \(record.fileName),
                   \(record.declaredSize), \(record.declaredType), \(record.status.rawValue), \(record.uploadID),
                   \(record.partSize)::bigint, to_timestamp(\(record.createdAt)), to_timestamp(\(record.createdAt))
            FROM reserved
            RETURNING id
        )
        SELECT count(*) FROM doc
        """
    }

    static func insertTrackedBinds(_ record: DocumentRecord, audit: AuditEntry, quota: UploadQuota?) -> [String?] {
        let size = String(record.declaredSize)
        let maxFiles = quota?.maxFiles.map { String($0) }, maxBytes = quota?.maxBytes.map { String($0) }
        return [record.ownerID, record.purpose, size,
                record.ownerID, record.purpose,
                record.ownerID, record.purpose,
                maxFiles,
                size, maxBytes, size,
                size,
                maxFiles,
                size, maxBytes, size]
            + auditBinds(audit)
            + documentBinds(record)
    }

    static func insertUntrackedSQL(_ record: DocumentRecord, audit: AuditEntry) -> SQL {
        """
        WITH audit AS (
            INSERT INTO audit_log (at, actor, action, resource, client_address) VALUES (\(fragment: Self.auditValues(audit)))
        )
        INSERT INTO documents (id, owner_id, object_key, purpose, file_name, declared_size, declared_type, status,
                               upload_id, part_size, created_at, updated_at)
        VALUES (\(record.id)::uuid, \(record.ownerID), \(record.objectKey), \(record.purpose), \(record.fileName),
                \(record.declaredSize), \(record.declaredType), \(record.status.rawValue), \(record.uploadID),
                \(record.partSize)::bigint, to_timestamp(\(record.createdAt)), to_timestamp(\(record.createdAt)))
        """
    }

    static func insertUntrackedBinds(_ record: DocumentRecord, audit: AuditEntry) -> [String?] {
        auditBinds(audit) + documentBinds(record)
    }

    /// The binds of a new document's values, from its id to its second `created_at`.
    static func documentBinds(_ record: DocumentRecord) -> [String?] {
        let createdAt = String(record.createdAt)
        return [record.id, record.ownerID, record.objectKey, record.purpose, record.fileName,
                String(record.declaredSize), record.declaredType, record.status.rawValue, record.uploadID,
                record.partSize.map { String($0) }, createdAt, createdAt]
    }

    static func openForDownloadSQL(id: String, userID: String, audit: AuditEntry) -> SQL {
        """
        WITH doc AS (
            SELECT \(fragment: Self.columns)
            FROM documents d
            WHERE d.id = \(id)::uuid AND \(fragment: Self.available)
              AND (d.owner_id = \(userID)
                   OR EXISTS (SELECT 1 FROM document_shares s WHERE s.document_id = d.id AND s.user_id = \(userID)))
        ), audit AS (
            INSERT INTO audit_log (at, actor, action, resource, client_address)
            SELECT \(fragment: Self.auditValues(audit)) FROM doc
        )
        SELECT * FROM doc
        """
    }

    static func openForDownloadBinds(id: String, userID: String, audit: AuditEntry) -> [String?] {
        [id, userID, userID] + auditBinds(audit)
    }

    static func recordAuditSQL(_ audit: AuditEntry) -> SQL {
        "INSERT INTO audit_log (at, actor, action, resource, client_address) VALUES (\(fragment: Self.auditValues(audit)))"
    }
}
