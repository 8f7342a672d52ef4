import PresigndApp
import PresigndPostgres
import PresigndUploads

/// The statements every presign, download and CDN cookie request runs, each described once: its
/// text, prepared once per connection, with numbered parameters (a value that appears several
/// times has one number), and its binds built from named fields in that numbering.
protocol HotStatement {
    static var statement: SQL.Statement { get }
    /// The values of `$1 … $n`, in that order.
    var binds: [String?] { get }
}

extension HotStatement {
    var sql: SQL { Self.statement(binds) }
}

extension AuditEntry {
    /// The audit row's values, for `$k … $k+4` of a statement: at, actor, action, resource, client.
    var values: [String?] { [String(at), actor, action?.rawValue, resource, clientAddress] }

    /// `to_timestamp($k), $k+1, …` for an audit row whose values start at `$k`.
    static func columns(from k: Int) -> String {
        "to_timestamp($\(k)::bigint), $\(k + 1), $\(k + 2), $\(k + 3), $\(k + 4)"
    }
}

extension DocumentRecord {
    /// A new document's values for `$k … $k+11`: id, owner, key, purpose, file name, declared
    /// size and type, status, uploadId, part size, created at (also its first updated at), checksum.
    var insertValues: [String?] {
        [id, ownerID, objectKey, purpose, fileName, String(declaredSize), declaredType, status.rawValue, uploadID,
         partSize.map { String($0) }, String(createdAt), checksum]
    }

    static func insertColumns(from k: Int) -> String {
        """
        $\(k)::uuid, $\(k + 1), $\(k + 2), $\(k + 3), $\(k + 4), $\(k + 5)::bigint, $\(k + 6), $\(k + 7), $\(k + 8), \
        $\(k + 9)::bigint, to_timestamp($\(k + 10)::bigint), to_timestamp($\(k + 10)::bigint), $\(k + 11)
        """
    }
}

extension PostgresDocumentStore {
    /// A new upload: reserves its declared size in its owner's usage row (made from the documents
    /// the first time), then writes the audit row and the document, only if the reservation fit
    /// the quota (a nil quota always fits).
    struct Insert: HotStatement {
        let record: DocumentRecord
        let audit: AuditEntry
        let quota: UploadQuota?
        let bucket: String?

        // $1 owner, $2 purpose, $3 declared size, $4 quota files, $5 quota bytes, $6–$10 audit,
        // $11–$22 the document, $23 its bucket.
        static let statement = SQL.Statement(numbered: """
            WITH reserved AS (
                INSERT INTO upload_usage AS u (owner_id, purpose, files, bytes)
                SELECT $1, $2, c.files + 1, c.bytes + $3::bigint
                FROM (SELECT count(*) AS files, coalesce(sum(\(PostgresDocumentStore.chargedText)), 0) AS bytes
                      FROM documents
                      WHERE owner_id = $1 AND purpose = $2 AND \(PostgresDocumentStore.holdsQuotaText)
                        AND NOT EXISTS (SELECT 1 FROM upload_usage WHERE owner_id = $1 AND purpose = $2)) c
                WHERE c.files + 1 <= coalesce($4::bigint, c.files + 1)
                  AND c.bytes + $3::bigint <= coalesce($5::bigint, c.bytes + $3::bigint)
                ON CONFLICT (owner_id, purpose) DO UPDATE SET files = u.files + 1, bytes = u.bytes + $3::bigint
                WHERE u.files + 1 <= coalesce($4::bigint, u.files + 1)
                  AND u.bytes + $3::bigint <= coalesce($5::bigint, u.bytes + $3::bigint)
                RETURNING 1
            ), audit AS (
                INSERT INTO audit_log (at, actor, action, resource, client_address)
                SELECT \(AuditEntry.columns(from: 6)) FROM reserved
            ), doc AS (
                INSERT INTO documents (id, owner_id, object_key, purpose, file_name, declared_size, declared_type, status,
                                       upload_id, part_size, created_at, updated_at, checksum, bucket)
                SELECT \(DocumentRecord.insertColumns(from: 11)), $23
                FROM reserved
                RETURNING id
            )
            SELECT count(*) FROM doc
            """)

        var binds: [String?] {
            [record.ownerID, record.purpose, String(record.declaredSize), quota?.maxFiles.map { String($0) },
             quota?.maxBytes.map { String($0) }] + audit.values + record.insertValues + [bucket]
        }
    }

    /// The available document if the user owns it or it is shared with them, with the download's
    /// audit row written only then.
    struct OpenForDownload: HotStatement {
        let id: String
        let userID: String
        let audit: AuditEntry

        // $1 document id, $2 user, $3–$7 audit.
        static let statement = SQL.Statement(numbered: """
            WITH doc AS (
                SELECT \(PostgresDocumentStore.columnsText)
                FROM documents d
                WHERE d.id = $1::uuid AND \(PostgresDocumentStore.availableText)
                  AND (d.owner_id = $2
                       OR EXISTS (SELECT 1 FROM document_shares s WHERE s.document_id = d.id AND s.user_id = $2))
            ), audit AS (
                INSERT INTO audit_log (at, actor, action, resource, client_address)
                SELECT \(AuditEntry.columns(from: 3)) FROM doc
            )
            SELECT * FROM doc
            """)

        var binds: [String?] { [id, userID] + audit.values }
    }

    /// One audit row (the CDN cookie route's).
    struct RecordAudit: HotStatement {
        let audit: AuditEntry

        static let statement = SQL.Statement(numbered: """
            INSERT INTO audit_log (at, actor, action, resource, client_address) VALUES (\(AuditEntry.columns(from: 1)))
            """)

        var binds: [String?] { audit.values }
    }
}
