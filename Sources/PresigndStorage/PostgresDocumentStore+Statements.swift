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
    /// What a new upload of `$size` bytes adds to its owner's usage row for the purpose:
    /// ON CONFLICT … DO UPDATE locks the row and adds it in place.
    static func usageAddition(size: Int) -> String {
        "ON CONFLICT (owner_id, purpose) DO UPDATE SET files = u.files + 1, bytes = u.bytes + $\(size)::bigint"
    }

    static let documentColumns = """
        documents (id, owner_id, object_key, purpose, file_name, declared_size, declared_type, status,
                   upload_id, part_size, created_at, updated_at, checksum, bucket)
        """

    /// A new upload under a quota: reserves its declared size in its owner's usage row first,
    /// then writes the audit row and the document, only if the reservation fit.
    struct Insert: HotStatement {
        let record: DocumentRecord
        let audit: AuditEntry
        let quota: UploadQuota
        let bucket: String?

        // $1 owner, $2 purpose, $3 declared size, $4 quota files, $5 quota bytes, $6–$10 audit,
        // $11–$22 the document, $23 its bucket.
        // The row is made from the owner's documents the first time (they are read only while
        // there is no row), so a quota turned on later charges what was there; the limits are
        // checked against the row's latest version, which ON CONFLICT … DO UPDATE locks.
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
                \(PostgresDocumentStore.usageAddition(size: 3))
                WHERE u.files + 1 <= coalesce($4::bigint, u.files + 1)
                  AND u.bytes + $3::bigint <= coalesce($5::bigint, u.bytes + $3::bigint)
                RETURNING 1
            ), audit AS (
                INSERT INTO audit_log (at, actor, action, resource, client_address)
                SELECT \(AuditEntry.columns(from: 6)) FROM reserved
            ), doc AS (
                INSERT INTO \(PostgresDocumentStore.documentColumns)
                SELECT \(DocumentRecord.insertColumns(from: 11)), $23
                FROM reserved
                RETURNING id
            )
            SELECT count(*) FROM doc
            """)

        var binds: [String?] {
            [record.ownerID, record.purpose, String(record.declaredSize), quota.maxFiles.map { String($0) },
             quota.maxBytes.map { String($0) }] + audit.values + record.insertValues + [bucket]
        }
    }

    /// A new upload without a quota: the document, its audit row, and its size added to its
    /// owner's usage row, which nothing reads first: that change runs last in the statement (a
    /// data-modifying WITH that nothing selects from runs after the main INSERT), so the row
    /// lock that concurrent uploads of one owner queue on is held from there to the commit only.
    /// A missing row starts from this upload: since migration 12 every owner with documents has
    /// one, and reading the owner's documents here would cost every upload a lookup more.
    struct InsertUnlimited: HotStatement {
        let record: DocumentRecord
        let audit: AuditEntry
        let bucket: String?

        // $1 owner, $2 purpose, $3 declared size, $4–$8 audit, $9–$20 the document, $21 its bucket.
        static let statement = SQL.Statement(numbered: """
            WITH audit AS (
                INSERT INTO audit_log (at, actor, action, resource, client_address) VALUES (\(AuditEntry.columns(from: 4)))
            ), reserved AS (
                INSERT INTO upload_usage AS u (owner_id, purpose, files, bytes) VALUES ($1, $2, 1, $3::bigint)
                \(PostgresDocumentStore.usageAddition(size: 3))
            )
            INSERT INTO \(PostgresDocumentStore.documentColumns)
            VALUES (\(DocumentRecord.insertColumns(from: 9)), $21)
            """)

        var binds: [String?] {
            [record.ownerID, record.purpose, String(record.declaredSize)] + audit.values + record.insertValues + [bucket]
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

    /// `OpenForDownload`'s access check alone, for a replica (which takes no writes).
    struct DownloadAccess: HotStatement {
        let id: String
        let userID: String

        // $1 document id, $2 user.
        static let statement = SQL.Statement(numbered: """
            SELECT \(PostgresDocumentStore.columnsText)
            FROM documents d
            WHERE d.id = $1::uuid AND \(PostgresDocumentStore.availableText)
              AND (d.owner_id = $2 OR EXISTS (SELECT 1 FROM document_shares s WHERE s.document_id = d.id AND s.user_id = $2))
            """)

        var binds: [String?] { [id, userID] }
    }

    /// One audit row (the CDN cookie route's, and a download's answered from a replica).
    struct RecordAudit: HotStatement {
        let audit: AuditEntry

        static let statement = SQL.Statement(numbered: """
            INSERT INTO audit_log (at, actor, action, resource, client_address) VALUES (\(AuditEntry.columns(from: 1)))
            """)

        var binds: [String?] { audit.values }
    }
}
