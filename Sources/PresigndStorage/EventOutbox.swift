package import PresigndApp
import PresigndPostgres
package import PresigndUploads

/// How the document store writes events (the outbox): each change that an application hears of
/// (`DocumentEventType`) inserts its event in the statement of the change, from the changed row,
/// with one pending delivery for each webhook endpoint that wants it, so an event and its
/// deliveries exist exactly when the change committed. The statement answers the event's
/// announcement, which the store sends on `presignd_events` just after the commit, in a statement
/// of its own: a NOTIFY inside the change would hold PostgreSQL's database-wide notify lock through
/// the commit's WAL flush, and every change with an event would commit one at a time.
package struct EventOutbox: Sendable {
    /// The webhook endpoints (none: events for `LISTEN`ers and readers of the table only).
    package let endpoints: [WebhookEndpoint]

    package init(endpoints: [WebhookEndpoint]) { self.endpoints = endpoints }

    /// The document columns an event is made from, as a `RETURNING` or select list of `alias`.
    static func sourceColumns(of alias: String) -> SQL {
        SQL(unsafeSQL: ["id", "owner_id", "purpose", "object_key", "file_name", "declared_size", "declared_type", "actual_size",
                        "actual_type", "checksum", "rejection"].map { "\(alias).\($0)" }.joined(separator: ", "))
    }

    /// `, event AS (INSERT …)[, deliveries AS (INSERT …)]` for a statement's WITH list, when events
    /// are on and the audited change is one an application hears of; empty otherwise. `rows` is
    /// the one changed document (a CTE's name or a subquery selecting `sourceColumns`); `user` the
    /// user a share names.
    static func clause(_ outbox: EventOutbox?, _ action: AuditAction?, from rows: SQL, user: String? = nil) -> SQL {
        guard let outbox, let action, let type = DocumentEventType(action) else { return "" }
        let event: SQL = ", event AS (\(fragment: outbox.insert(type, from: rows, user: user)))"
        // Endpoints filter by type here, by purpose in SQL (the row's purpose is known there).
        let wanting = outbox.endpoints.filter { $0.events?.contains(type) ?? true }
        guard !wanting.isEmpty else { return event }
        let names = wanting.map(\.name)
        let purposes = wanting.map { $0.purposes.map { $0.sorted().joined(separator: ",") } ?? "" }
        return """
            \(fragment: event), deliveries AS (
                INSERT INTO event_deliveries (event_seq, endpoint, document_id, state, next_at)
                SELECT e.seq, ep.name, e.document_id, 'pending', e.at
                FROM event e JOIN unnest(\(array: names)::text[], \(array: purposes)::text[]) AS ep (name, purposes)
                  ON ep.purposes = '' OR e.purpose = ANY (string_to_array(ep.purposes, ','))
            )
            """
    }

    /// The announcement of the event the statement wrote, for its final select list: the JSON
    /// `{"id", "seq", "type", "document", "owner"}` when `clause` wrote one, else NULL.
    static func announcement(_ outbox: EventOutbox?, _ action: AuditAction?) -> SQL {
        guard outbox != nil, let action, DocumentEventType(action) != nil else { return "NULL::text" }
        return """
            (SELECT json_build_object('id', id, 'seq', seq, 'type', type, 'document', document_id, 'owner', owner_id)::text FROM event)
            """
    }

    /// `INSERT INTO events … SELECT … FROM <rows> r RETURNING …`: the event and its webhook body.
    func insert(_ type: DocumentEventType, from rows: SQL, user: String?) -> SQL {
        let id = DocumentID.random()
        let userPair: SQL = user.map { ", 'user', \($0)::text" } ?? ""
        return """
            INSERT INTO events (id, type, document_id, owner_id, purpose, at, body)
            SELECT \(id)::uuid, \(type.rawValue)::text, r.id, r.owner_id, r.purpose, now(),
                   json_build_object('type', \(type.rawValue)::text,
                                     'timestamp', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                                     'data', json_build_object('id', r.id, 'owner', r.owner_id, 'purpose', r.purpose,
                                                               'key', r.object_key, 'fileName', r.file_name,
                                                               'size', coalesce(r.actual_size, r.declared_size),
                                                               'contentType', coalesce(r.actual_type, r.declared_type),
                                                               'checksum', r.checksum, 'reason', r.rejection\(fragment: userPair)))::text
            FROM \(fragment: rows) r
            RETURNING seq, id, type, document_id, owner_id, purpose, at
            """
    }
}
