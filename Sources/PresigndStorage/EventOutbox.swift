import PresigndPostgres
package import PresigndUploads

/// How the document store writes events (the outbox): each change that an application hears of
/// (`DocumentEventType`) inserts its event in the statement of the change, from the changed row,
/// so an event exists exactly when its change committed, and the insert's trigger announces it on
/// `presignd_events` at commit.
package struct EventOutbox: Sendable {
    /// Whether webhook endpoints are configured: without them an event is written as already
    /// fanned out, for `LISTEN`ers and readers of the table only.
    package let delivers: Bool

    package init(delivers: Bool) { self.delivers = delivers }

    /// The document columns an event is made from, as a `RETURNING` or select list of `alias`.
    static func sourceColumns(of alias: String) -> SQL {
        SQL(unsafeSQL: ["id", "owner_id", "purpose", "object_key", "file_name", "declared_size", "declared_type", "actual_size",
                        "actual_type", "checksum", "rejection"].map { "\(alias).\($0)" }.joined(separator: ", "))
    }

    /// `INSERT INTO events … SELECT … FROM <rows> r`, for the one document row `rows` yields (a
    /// CTE's name or a subquery selecting `sourceColumns`); `user` is the user a share names.
    func insert(_ type: DocumentEventType, from rows: SQL, user: String? = nil) -> SQL {
        let id = DocumentID.random()
        let userPair: SQL = user.map { ", 'user', \($0)::text" } ?? ""
        let fannedOut: SQL = delivers ? "false" : "true"
        return """
            INSERT INTO events (id, type, document_id, owner_id, purpose, at, body, fanned_out)
            SELECT \(id)::uuid, \(type.rawValue)::text, r.id, r.owner_id, r.purpose, now(),
                   json_build_object('type', \(type.rawValue)::text,
                                     'timestamp', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                                     'data', json_build_object('id', r.id, 'owner', r.owner_id, 'purpose', r.purpose,
                                                               'key', r.object_key, 'fileName', r.file_name,
                                                               'size', coalesce(r.actual_size, r.declared_size),
                                                               'contentType', coalesce(r.actual_type, r.declared_type),
                                                               'checksum', r.checksum, 'reason', r.rejection\(fragment: userPair)))::text,
                   \(fragment: fannedOut)
            FROM \(fragment: rows) r
            """
    }

    /// `, event AS (INSERT …)` for a statement's WITH list, when events are on and the audited
    /// change is one an application hears of; empty otherwise.
    static func clause(_ outbox: EventOutbox?, _ action: AuditAction?, from rows: SQL, user: String? = nil) -> SQL {
        guard let outbox, let action, let type = DocumentEventType(action) else { return "" }
        return ", event AS (\(fragment: outbox.insert(type, from: rows, user: user)))"
    }
}
