package import PresigndApp
import PresigndHTTP
package import PresigndMetrics
package import PresigndPostgres
import PresigndSigning
package import PresigndSupport
package import PresigndUploads

/// `DocumentStore` on PostgreSQL. Each write and its audit entry go in one statement (a
/// data-modifying CTE), so they commit together in a single round trip; every state change is
/// an `UPDATE … WHERE status = <the state it was read in>`, so of two racing requests exactly
/// one changes the row and writes the audit row.
package struct PostgresDocumentStore: DocumentStore {
    let pool: PostgresPool
    let logger: Logger
    let metrics: Metrics
    /// The bucket this deployment's uploads go to: written on each new row, and the only rows
    /// the sweeper takes (with those written before rows had a bucket); nil: every bucket's.
    let bucket: String?
    /// Writes an event with each change an application hears of; nil: events are off.
    let events: EventOutbox?
    /// The replica the read-only routes use while it is current enough; nil: the primary only.
    let reads: ReplicaReads?

    package init(pool: PostgresPool, logger: Logger, metrics: Metrics = .off, bucket: String? = nil, events: EventOutbox? = nil,
                 reads: ReplicaReads? = nil) {
        self.pool = pool
        self.logger = logger
        self.metrics = metrics
        self.bucket = bucket
        self.events = events
        self.reads = reads
    }

    /// `status IN (…)` of the states the lifecycle answers yes for: the SQL asks the same
    /// questions as the code (`UploadStatus`), from the same answers.
    static func status(_ column: String = "status", where predicate: (UploadStatus) -> Bool) -> SQL {
        SQL(unsafeSQL: statusCondition(column, where: predicate))
    }

    static func statusCondition(_ column: String, where predicate: (UploadStatus) -> Bool) -> String {
        // The names are the enum's own constants, never input.
        let names = UploadStatus.allCases.filter(predicate).map { "'\($0.rawValue)'" }
        return "\(column) IN (\(names.joined(separator: ", ")))"
    }

    /// The statuses whose uploads hold quota, and what each counts for (`UploadStatus.holdsQuota`,
    /// `UploadStatus.charged`), in SQL.
    static let holdsQuotaText = statusCondition("status", where: \.holdsQuota)
    static let chargedText = """
        CASE WHEN \(statusCondition("status", where: \.isAvailable)) THEN coalesce(actual_size, declared_size) ELSE declared_size END
        """
    static let availableText = statusCondition("d.status", where: \.isAvailable)
    static let unfinished = status("d.status", where: \.isUnfinished)
    static let available = SQL(unsafeSQL: availableText)

    /// The document columns `record(_:)` decodes, by name.
    static let columnsText = """
        d.id::text AS id, d.owner_id, d.object_key, d.purpose, d.file_name, d.declared_size, d.declared_type, d.actual_size,
        d.actual_type, d.status, d.rejection, d.upload_id, d.part_size, extract(epoch from d.created_at)::bigint AS created_at,
        d.checksum
        """
    static let columns = SQL(unsafeSQL: columnsText)

    /// The audit row's values, for `INSERT INTO audit_log (…) SELECT … FROM <the changed rows>`.
    static func auditValues(_ audit: AuditEntry) -> SQL {
        "to_timestamp(\(audit.at)), \(audit.actor), \(audit.action?.rawValue), \(audit.resource), \(audit.clientAddress)"
    }

    /// Every upload adds its size to its owner's usage row for its purpose, whether quotas are
    /// configured or not, so usage is read and never counted. Under a quota the reservation comes
    /// first and gates the insert: of concurrent uploads only those that fit get a row; the
    /// others reserve, audit and insert nothing.
    package func insert(_ record: DocumentRecord, audit: AuditEntry, quota: UploadQuota?) throws {
        guard let quota else {
            _ = try run(InsertUnlimited(record: record, audit: audit, bucket: bucket).sql)
            return
        }
        let rows = try run(Insert(record: record, audit: audit, quota: quota, bucket: bucket).sql)
        guard rows.first?.int64(0) == 1 else {
            let used = try usage(ownerID: record.ownerID).first { $0.purpose == record.purpose }
            throw QuotaExceeded(purpose: record.purpose, quota: quota,
                                usage: used ?? PurposeUsage(purpose: record.purpose, files: 0, bytes: 0), requested: record.declaredSize)
        }
    }

    /// The caller's usage rows: one index lookup, however many documents they hold (on the
    /// replica while it is current enough).
    package func usage(ownerID: String) throws -> [PurposeUsage] {
        try read("SELECT purpose, files, bytes FROM upload_usage WHERE owner_id = \(ownerID) AND files > 0 ORDER BY purpose")
            .map { PurposeUsage(purpose: $0.string(0), files: $0.int64(1) ?? 0, bytes: $0.int64(2) ?? 0) }
    }

    package func document(id: String) throws -> DocumentRecord? {
        try run("SELECT \(fragment: Self.columns) FROM documents d WHERE d.id = \(id)::uuid").first.map { row throws(UnknownStatus) in try Self.record(row) }
    }

    package func document(uploadID: String) throws -> DocumentRecord? {
        try run("SELECT \(fragment: Self.columns) FROM documents d WHERE d.upload_id = \(uploadID)").first.map { row throws(UnknownStatus) in try Self.record(row) }
    }

    package func transition(id: String, from: UploadStatus, _ change: UploadChange, audit: AuditEntry) throws -> Bool {
        // Under READ COMMITTED a second UPDATE waits for the first and re-checks the status,
        // so it finds the row moved on and changes nothing.
        let usageChange = Self.usageChange(from: from, to: change.to)
        let rows = try run("""
            WITH updated AS (
                UPDATE documents SET status = \(change.to.rawValue),
                       actual_size = coalesce(\(change.actualSize)::bigint, actual_size),
                       actual_type = coalesce(\(change.actualType), actual_type),
                       rejection = coalesce(\(change.rejection), rejection),
                       updated_at = to_timestamp(\(audit.at))
                WHERE id = \(id)::uuid AND status = \(from.rawValue)
                RETURNING \(fragment: EventOutbox.sourceColumns(of: "documents"))
            ), usage AS (
                UPDATE upload_usage u SET files = greatest(u.files + \(fragment: usageChange.files), 0),
                                          bytes = greatest(u.bytes + \(fragment: usageChange.bytes), 0)
                FROM updated WHERE \(fragment: usageChange.applies) AND u.owner_id = updated.owner_id AND u.purpose = updated.purpose
            ), audit AS (
                INSERT INTO audit_log (at, actor, action, resource, client_address)
                SELECT \(fragment: Self.auditValues(audit)) FROM updated WHERE \(change.audit?.rawValue)::text IS NOT NULL
            )\(fragment: EventOutbox.clause(events, change.audit, from: "updated"))
            SELECT (SELECT count(*) FROM updated), \(fragment: EventOutbox.announcement(events, change.audit))
            """)
        return announced(rows.first?[1], counted(rows.first?.int64(0) == 1, change.audit))
    }

    /// How a state change moves its owner's usage row, as SQL over the `updated` row: leaving
    /// the quota releases the upload's charge and its file; becoming ready swaps the declared
    /// size for the actual one.
    static func usageChange(from: UploadStatus, to: UploadStatus) -> (applies: SQL, files: SQL, bytes: SQL) {
        switch (from.holdsQuota, to.holdsQuota) {
        case (true, false):
            return ("true", "-1", from == .ready ? "-coalesce(updated.actual_size, updated.declared_size)" : "-updated.declared_size")
        case (true, true) where from != .ready && to == .ready:
            return ("true", "0", "coalesce(updated.actual_size, updated.declared_size) - updated.declared_size")
        default:
            return ("false", "0", "0")
        }
    }

    package func removeDeleted(id: String) throws {
        try run("DELETE FROM documents WHERE id = \(id)::uuid AND \(fragment: Self.status(where: { !$0.isVisibleToOwner }))")
    }

    package func sweepCandidates(createdBefore: UnixSeconds, updatedBefore: UnixSeconds, limit: Int) throws -> [DocumentRecord] {
        // Two questions, each answered by its own index and stopped after `limit` rows (one OR
        // of both read every unfinished upload): old unfinished uploads (documents_unfinished),
        // and deletes that stopped half-way (documents_deleting); oldest first overall. Only
        // this deployment's bucket (and rows from before rows had one).
        let mine: SQL = bucket.map { "AND (d.bucket = \($0) OR d.bucket IS NULL)" } ?? ""
        return try run("""
            SELECT \(fragment: Self.recordColumnList) FROM (
                (SELECT \(fragment: Self.columns), d.created_at AS sort_at, d.id AS sort_id FROM documents d
                 WHERE \(fragment: Self.unfinished) AND d.created_at < to_timestamp(\(createdBefore)) \(fragment: mine)
                 ORDER BY d.created_at
                 LIMIT \(limit))
                UNION ALL
                (SELECT \(fragment: Self.columns), d.created_at AS sort_at, d.id AS sort_id FROM documents d
                 WHERE \(fragment: Self.status("d.status", where: { !$0.isVisibleToOwner })) AND d.updated_at < to_timestamp(\(updatedBefore))
                   \(fragment: mine)
                 ORDER BY d.created_at
                 LIMIT \(limit))
            ) candidates
            ORDER BY sort_at, sort_id
            LIMIT \(limit)
            """).map { row throws(UnknownStatus) in try Self.record(row) }
    }

    /// On the replica (while it is current enough) the access check is a read and the audit row
    /// goes to the primary; a document the replica does not show (confirmed a moment ago, or
    /// never there) is asked of the primary, in the one statement that also audits.
    package func openForDownload(id: String, userID: String, audit: AuditEntry) throws -> DocumentRecord? {
        if let row = onReplica(DownloadAccess(id: id, userID: userID).sql, found: { !$0.isEmpty })?.first {
            let record = try Self.record(row)
            try run(RecordAudit(audit: audit).sql)
            return record
        }
        return try run(OpenForDownload(id: id, userID: userID, audit: audit).sql).first.map { row throws(UnknownStatus) in try Self.record(row) }
    }

    package func listAccessible(userID: String, after cursor: DocumentCursor?, limit: Int) throws -> [DocumentRecord] {
        // Newest first, (created_at, id) the keyset order: a merge of the user's own documents
        // (documents_owner_listing) and those shared with them (document_shares_listing), each
        // one index scan that stops after a page, however many rows the tables or the user hold.
        var owned: SQL = "", shared: SQL = ""
        if let cursor {
            owned = "AND (d.created_at, d.id) < (to_timestamp(\(cursor.createdAt)), \(cursor.id)::uuid)"
            shared = "AND (s.document_created_at, s.document_id) < (to_timestamp(\(cursor.createdAt)), \(cursor.id)::uuid)"
        }
        return try read("""
            SELECT \(fragment: Self.recordColumnList) FROM (
                (SELECT \(fragment: Self.columns), d.created_at AS sort_at, d.id AS sort_id
                 FROM documents d
                 WHERE d.owner_id = \(userID) AND \(fragment: Self.available) \(fragment: owned)
                 ORDER BY d.created_at DESC, d.id DESC
                 LIMIT \(limit))
                UNION ALL
                (SELECT \(fragment: Self.columns), s.document_created_at AS sort_at, s.document_id AS sort_id
                 FROM document_shares s JOIN documents d ON d.id = s.document_id
                 WHERE s.user_id = \(userID) AND d.owner_id <> \(userID) AND \(fragment: Self.available) \(fragment: shared)
                 ORDER BY s.document_created_at DESC, s.document_id DESC
                 LIMIT \(limit))
            ) page
            ORDER BY sort_at DESC, sort_id DESC
            LIMIT \(limit)
            """).map { row throws(UnknownStatus) in try Self.record(row) }
    }

    /// A read-only statement: on the replica while it is current enough, else on the primary.
    func read(_ sql: SQL) throws -> [PostgresRow] {
        try onReplica(sql, found: { _ in true }) ?? run(sql)
    }

    /// `sql`'s rows from the replica when it is current enough and `found` accepts them; nil
    /// (the primary must answer) otherwise: the gate is closed, the replica failed (the gate
    /// closes until its next good check), or the answer may be one the replica has not caught
    /// up with. Counted by which database served and why.
    func onReplica(_ sql: SQL, found: ([PostgresRow]) -> Bool) -> [PostgresRow]? {
        guard let reads else { return nil }
        guard reads.isFresh else {
            metrics.count(Metrics.Families.dbReads, [("pool", "primary"), ("reason", "replica_behind")])
            return nil
        }
        do {
            let rows = try reads.query(sql)
            guard found(rows) else {
                metrics.count(Metrics.Families.dbReads, [("pool", "primary"), ("reason", "not_on_replica")])
                return nil
            }
            metrics.count(Metrics.Families.dbReads, [("pool", "replica"), ("reason", "current")])
            return rows
        } catch {
            reads.markStale()
            metrics.count(Metrics.Families.dbReads, [("pool", "primary"), ("reason", "replica_failed")])
            logger.warning("read replica: \(error.logged); reading from the primary")
            return nil
        }
    }

    package func share(documentID: String, ownerID: String, with userID: String, audit: AuditEntry) throws -> Bool {
        // FOR SHARE holds the document against a concurrent delete (whose first step is an
        // UPDATE) until this statement commits; a delete that came first leaves no ready row.
        let rows = try run("""
            WITH doc AS (
                SELECT \(fragment: EventOutbox.sourceColumns(of: "d")), d.created_at FROM documents d
                WHERE d.id = \(documentID)::uuid AND d.owner_id = \(ownerID) AND \(fragment: Self.available)
                FOR SHARE
            ), shared AS (
                INSERT INTO document_shares (document_id, user_id, created_at, document_created_at)
                SELECT doc.id, \(userID), to_timestamp(\(audit.at)), doc.created_at FROM doc
                ON CONFLICT DO NOTHING
                RETURNING document_id
            ), audit AS (
                INSERT INTO audit_log (at, actor, action, resource, client_address)
                SELECT \(fragment: Self.auditValues(audit)) FROM shared
            )\(fragment: EventOutbox.clause(events, audit.action, from: "(SELECT doc.* FROM doc JOIN shared ON shared.document_id = doc.id)", user: userID))
            SELECT (SELECT count(*) FROM doc), (SELECT count(*) FROM shared), \(fragment: EventOutbox.announcement(events, audit.action))
            """)
        _ = announced(rows.first?[2], counted(rows.first?.int64(1) == 1, audit.action))
        return rows.first?.int64(0) == 1
    }

    package func unshare(documentID: String, ownerID: String, from userID: String, audit: AuditEntry) throws -> Bool {
        let rows = try run("""
            WITH removed AS (
                DELETE FROM document_shares s USING documents d
                WHERE s.document_id = \(documentID)::uuid AND s.user_id = \(userID)
                  AND d.id = s.document_id AND d.owner_id = \(ownerID) AND \(fragment: Self.status("d.status", where: \.isVisibleToOwner))
                RETURNING \(fragment: EventOutbox.sourceColumns(of: "d"))
            ), audit AS (
                INSERT INTO audit_log (at, actor, action, resource, client_address)
                SELECT \(fragment: Self.auditValues(audit)) FROM removed
            )\(fragment: EventOutbox.clause(events, audit.action, from: "removed", user: userID))
            SELECT (SELECT count(*) FROM removed), \(fragment: EventOutbox.announcement(events, audit.action))
            """)
        return announced(rows.first?[1], counted(rows.first?.int64(0) == 1, audit.action))
    }

    /// Counts the event a change wrote (`changed`: the change committed, with its event when
    /// `action` is one an application hears of and events are on).
    func counted(_ changed: Bool, _ action: AuditAction?) -> Bool {
        if changed, events != nil, let type = action.flatMap(DocumentEventType.init) {
            metrics.count(Metrics.Families.eventsWritten, [("type", type.rawValue)])
        }
        return changed
    }

    /// Announces a committed event on `presignd_events` (the deliverer and applications `LISTEN`),
    /// in a statement of its own. A failure is logged, never the request's: the change and its
    /// event are committed, and the deliverer finds them at its next look (within 5 s).
    func announced(_ payload: String?, _ changed: Bool) -> Bool {
        guard let payload else { return changed }
        do {
            _ = try pool.query("SELECT pg_notify('presignd_events', \(payload))")
        } catch {
            logger.warning("events: the announcement of a committed event failed (\(error.logged)); the deliverer finds it within 5 s")
        }
        return changed
    }

    package func record(_ audit: AuditEntry) throws {
        try run(RecordAudit(audit: audit).sql)
    }

    package func ping() throws {
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
                metrics.count(Metrics.Families.dbErrors, [("kind", "unavailable")])
                logger.warning("database unavailable: \(error.logged)")
                throw DependencyUnavailable(.database)
            }
            metrics.count(Metrics.Families.dbErrors, [("kind", "statement")])
            logger.error("database statement failed: \(error)")
            throw error
        }
    }

    /// A document row, decoded by column name; a status this version does not know is an error
    /// (a 500, logged), never read as some other state.
    static func record(_ row: PostgresRow) throws(UnknownStatus) -> DocumentRecord {
        // Every statement here selects `columns`, in that order: checked by name once per row
        // (a comparison of the names), then read by position; another order is read by name.
        let inOrder = row.columns == recordColumns
        func value(_ index: Int) -> String? { inOrder ? row[index] : row[column: recordColumns[index]] }
        func text(_ index: Int) -> String {
            guard let text = value(index) else { preconditionFailure("column \(recordColumns[index]) is NULL") }
            return text
        }
        func number(_ index: Int) -> Int64? { value(index).flatMap { Int64($0) } }
        guard let status = UploadStatus(rawValue: text(9)) else { throw UnknownStatus(status: text(9)) }
        return DocumentRecord(id: text(0), ownerID: text(1), objectKey: text(2), purpose: text(3), fileName: text(4),
                              declaredSize: number(5) ?? 0, declaredType: text(6), actualSize: number(7), actualType: value(8),
                              status: status, rejection: value(10), uploadID: value(11), partSize: number(12),
                              createdAt: number(13) ?? 0, checksum: value(14))
    }

    /// The names `columns` gives its columns, in order: `record(_:)` reads field n by this name.
    static let recordColumns = ["id", "owner_id", "object_key", "purpose", "file_name", "declared_size", "declared_type", "actual_size",
                                "actual_type", "status", "rejection", "upload_id", "part_size", "created_at", "checksum"]
    /// `recordColumns` as a select list, for a query over a subquery that selected `columns`.
    static let recordColumnList = SQL(unsafeSQL: recordColumns.joined(separator: ", "))
}

/// A row whose status is not one of `UploadStatus`'s (written by a newer version, or by hand).
package struct UnknownStatus: Error, Equatable, CustomStringConvertible {
    package let status: String
    package init(status: String) { self.status = status }
    package var description: String { "a document row has the status \"\(status.prefix(40))\", which this version does not know" }
}
