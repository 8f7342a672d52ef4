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
    /// The owner's usage row for the purpose gains an upload of `$size` bytes: made from the
    /// owner's documents the first time (they are read only while there is no row), then changed
    /// in place; with `limits` (the numbers of the quota's files and bytes), only if it fits.
    /// ON CONFLICT … DO UPDATE locks the row, and re-checks the limits against its latest version.
    static func reservation(owner: Int, purpose: Int, size: Int, limits: (files: Int, bytes: Int)?) -> String {
        let fits = { (files: String, bytes: String) in
            limits.map { limits in
                "\(files) + 1 <= coalesce($\(limits.files)::bigint, \(files) + 1) "
                    + "AND \(bytes) + $\(size)::bigint <= coalesce($\(limits.bytes)::bigint, \(bytes) + $\(size)::bigint)"
            }
        }
        return """
            INSERT INTO upload_usage AS u (owner_id, purpose, files, bytes)
            SELECT $\(owner), $\(purpose), c.files + 1, c.bytes + $\(size)::bigint
            FROM (SELECT count(*) AS files, coalesce(sum(\(PostgresDocumentStore.chargedText)), 0) AS bytes
                  FROM documents
                  WHERE owner_id = $\(owner) AND purpose = $\(purpose) AND \(PostgresDocumentStore.holdsQuotaText)
                    AND NOT EXISTS (SELECT 1 FROM upload_usage WHERE owner_id = $\(owner) AND purpose = $\(purpose))) c
            \(fits("c.files", "c.bytes").map { "WHERE " + $0 } ?? "")
            ON CONFLICT (owner_id, purpose) DO UPDATE SET files = u.files + 1, bytes = u.bytes + $\(size)::bigint
            \(fits("u.files", "u.bytes").map { "WHERE " + $0 } ?? "")
            """
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
        static let statement = SQL.Statement(numbered: """
            WITH reserved AS (
                \(PostgresDocumentStore.reservation(owner: 1, purpose: 2, size: 3, limits: (files: 4, bytes: 5)))
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
    struct InsertUnlimited: HotStatement {
        let record: DocumentRecord
        let audit: AuditEntry
        let bucket: String?

        // $1 owner, $2 purpose, $3 declared size, $4–$8 audit, $9–$20 the document, $21 its bucket.
        static let statement = SQL.Statement(numbered: """
            WITH audit AS (
                INSERT INTO audit_log (at, actor, action, resource, client_address) VALUES (\(AuditEntry.columns(from: 4)))
            ), reserved AS (
                \(PostgresDocumentStore.reservation(owner: 1, purpose: 2, size: 3, limits: nil))
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

    /// One audit row (the CDN cookie route's).
    struct RecordAudit: HotStatement {
        let audit: AuditEntry

        static let statement = SQL.Statement(numbered: """
            INSERT INTO audit_log (at, actor, action, resource, client_address) VALUES (\(AuditEntry.columns(from: 1)))
            """)

        var binds: [String?] { audit.values }
    }
}
