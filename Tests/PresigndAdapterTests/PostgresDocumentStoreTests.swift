import XCTest
import Synchronization
import Foundation
@testable import PresigndApp
import PresigndSupport
import PresigndHTTP
import PresigndUploads
@testable import PresigndPostgres
import PresigndStorage

/// Runs the SQL of the document store against a real PostgreSQL named by
/// `PRESIGND_TEST_DATABASE_URL` (the integration suite's harness/postgres.py makes one);
/// skipped without it.
final class PostgresDocumentStoreTests: XCTestCase {
    var pool: PostgresPool!
    var store: PostgresDocumentStore!

    override func setUpWithError() throws {
        guard let url = ProcessInfo.processInfo.environment["PRESIGND_TEST_DATABASE_URL"] else {
            throw XCTSkip("set PRESIGND_TEST_DATABASE_URL to run against PostgreSQL")
        }
        pool = PostgresPool(settings: PostgresSettings(conninfo: url))
        try pool.withConnection { connection throws(PostgresError) in
            try Self.dropSchema(connection)
            XCTAssertEqual(try Migrator().run(on: connection), Migrations.all.map(\.version))
            XCTAssertEqual(try Migrator().run(on: connection), [])
        }
        store = PostgresDocumentStore(pool: pool, logger: .discarding)
    }

    /// Everything the migrations make, gone: the next Migrator run starts from nothing.
    static func dropSchema(_ connection: PostgresConnection) throws(PostgresError) {
        try connection.execute("""
            DROP TABLE IF EXISTS document_shares, documents, audit_log, upload_usage, schema_migrations, events, event_deliveries, revocations CASCADE;
            DROP FUNCTION IF EXISTS events_notify CASCADE;
            DROP FUNCTION IF EXISTS audit_log_is_append_only CASCADE; DROP FUNCTION IF EXISTS presignd_audit_partition;
            DROP FUNCTION IF EXISTS document_shares_created_at CASCADE
            """)
    }

    func contract() -> DocumentStoreContract {
        DocumentStoreContract(store: store, auditActions: { [pool] in
            try pool!.query("SELECT action FROM audit_log ORDER BY id").map { $0.string(0) }
        })
    }

    // The store contract, the same checks the in-memory store passes (DocumentStoreContract).
    func testContractTransitionsAreConditionalAndAudited() throws { try contract().transitionsAreConditionalAndAudited() }
    func testContractSweepCandidatesFollowTheLifecycle() throws { try contract().sweepCandidatesFollowTheLifecycle() }
    func testContractListingDownloadAndSharingSeeOnlyAvailableDocuments() throws { try contract().listingDownloadAndSharingSeeOnlyAvailableDocuments() }
    func testContractUsageCountsWhatHoldsQuota() throws { try contract().usageCountsWhatHoldsQuota() }

    /// Shares made before migration 5 get their document's creation time, and listing (which
    /// reads it from the share's index) shows them in the same order as before.
    func testSharesMadeBeforeTheListingIndexAreBackfilled() throws {
        try pool.withConnection { connection throws(PostgresError) in
            try Self.dropSchema(connection)
            XCTAssertEqual(try Migrator(migrations: Migrations.all.filter { $0.version <= 4 }).run(on: connection), [1, 2, 3, 4])
        }
        for (n, at) in [(1, 1_700_000_100), (2, 1_700_000_300)] as [(Int, UnixSeconds)] {
            let row = pending(n, owner: "bob", at: at)
            _ = try pool.query("""
                INSERT INTO documents (id, owner_id, object_key, purpose, file_name, declared_size, declared_type, status, created_at, updated_at)
                VALUES (\(row.id)::uuid, 'bob', \(row.objectKey), 'document', 'a.pdf', 100, 'application/pdf', 'ready',
                        to_timestamp(\(at)), to_timestamp(\(at)))
                """)
            _ = try pool.query("INSERT INTO document_shares (document_id, user_id, created_at) VALUES (\(row.id)::uuid, 'alice', now())")
        }
        try pool.withConnection { connection throws(PostgresError) in
            XCTAssertEqual(try Migrator().run(on: connection), Migrations.all.map(\.version).filter { $0 > 4 })
        }
        XCTAssertEqual(try pool.query("""
            SELECT extract(epoch from document_created_at)::bigint FROM document_shares ORDER BY document_created_at
            """).map { $0.string(0) }, ["1700000100", "1700000300"])
        XCTAssertEqual(try store.listAccessible(userID: "alice", after: nil, limit: 10).map(\.id), [pending(2).id, pending(1).id])
        // A share written without the time (an older presignd during a rolling deploy) gets it
        // from the trigger, so the check constraint and the listing hold.
        _ = try pool.query("INSERT INTO document_shares (document_id, user_id, created_at) VALUES (\(pending(1).id)::uuid, 'carol', now())")
        XCTAssertEqual(try store.listAccessible(userID: "carol", after: nil, limit: 10).map(\.id), [pending(1).id])
    }

    /// Migration 12 makes usage kept for every owner: each owner's row is recounted from the
    /// documents, in batches of 1,000 owners (2,500 here, so three batches), stale rows are set
    /// right, and rows of owners who hold nothing any more are zeroed.
    func testUsageIsRecountedForEveryOwnerWhenItBecomesKept() throws {
        try pool.withConnection { connection throws(PostgresError) in
            try Self.dropSchema(connection)
            XCTAssertEqual(try Migrator(migrations: Migrations.all.filter { $0.version <= 11 }).run(on: connection), Array(1...11))
            // Each of 2,500 owners: a ready document (declared 100, 90 stored), a pending upload
            // (50) and an aborted one (holds nothing).
            try connection.execute("""
                INSERT INTO documents (id, owner_id, object_key, purpose, file_name, declared_size, declared_type, actual_size,
                                       status, created_at, updated_at)
                SELECT md5(n::text || s)::uuid, 'o' || lpad(n::text, 4, '0'), 'documents/' || n || '/' || s, 'document', 'a.pdf',
                       CASE s WHEN 'ready' THEN 100 ELSE 50 END, 'application/pdf', CASE s WHEN 'ready' THEN 90 END, s,
                       now(), now()
                FROM generate_series(1, 2500) AS n, unnest(ARRAY['ready', 'pending', 'aborted']) AS s;
                INSERT INTO upload_usage (owner_id, purpose, files, bytes) VALUES
                    ('o0003', 'document', 99, 1), ('o2500', 'document', 1, 1), ('gone', 'document', 5, 500)
                """)
            XCTAssertEqual(try Migrator().run(on: connection), Migrations.all.map(\.version).filter { $0 >= 12 })
        }
        XCTAssertEqual(try pool.query("SELECT files, bytes, count(*) FROM upload_usage GROUP BY files, bytes ORDER BY files").map {
            [$0.string(0), $0.string(1), $0.string(2)]
        }, [["0", "0", "1"], ["2", "140", "2500"]])
        XCTAssertEqual(try store.usage(ownerID: "o0003"), [PurposeUsage(purpose: "document", files: 2, bytes: 140)])
        XCTAssertEqual(try store.usage(ownerID: "gone"), [])
        // From here on each change keeps the row: a delete releases the ready document's 90 bytes.
        let ready = try XCTUnwrap(try pool.query("SELECT id::text FROM documents WHERE owner_id = 'o0003' AND status = 'ready'").first?.string(0))
        XCTAssertTrue(try store.transition(id: ready, from: .ready, UploadChange(to: .deleting, audit: .documentDelete),
                                           audit: entry(.documentDelete, ready)))
        XCTAssertEqual(try store.usage(ownerID: "o0003"), [PurposeUsage(purpose: "document", files: 1, bytes: 50)])
    }

    /// Two deployments with their own buckets share the database: each sweeper takes only its
    /// own bucket's old uploads, and rows written before rows had a bucket (NULL) by both.
    func testEachSweeperTakesOnlyItsOwnBucketsUploads() throws {
        let a = PostgresDocumentStore(pool: pool, logger: .discarding, bucket: "bucket-a")
        let b = PostgresDocumentStore(pool: pool, logger: .discarding, bucket: "bucket-b")
        try a.insert(pending(1, at: 1_000), audit: entry("upload.presign", pending(1).id), quota: nil)
        try b.insert(pending(2, at: 1_000), audit: entry("upload.presign", pending(2).id), quota: nil)
        try store.insert(pending(3, at: 1_000), audit: entry("upload.presign", pending(3).id), quota: nil)
        XCTAssertEqual(try pool.query("SELECT coalesce(bucket, 'none') FROM documents ORDER BY id").map { $0.string(0) },
                       ["bucket-a", "bucket-b", "none"])
        XCTAssertEqual(try a.sweepCandidates(createdBefore: 2_000, updatedBefore: 2_000, limit: 10).map(\.id), [pending(1).id, pending(3).id])
        XCTAssertEqual(try b.sweepCandidates(createdBefore: 2_000, updatedBefore: 2_000, limit: 10).map(\.id), [pending(2).id, pending(3).id])
        XCTAssertEqual(try store.sweepCandidates(createdBefore: 2_000, updatedBefore: 2_000, limit: 10).count, 3, "no bucket: every row")
    }

    /// A concurrent index build that failed leaves an invalid index behind; the next run drops
    /// it and builds the one the migration names (IF NOT EXISTS alone would take it for done).
    func testAnIndexLeftInvalidByAFailedBuildIsBuiltAgain() throws {
        for n in [1, 2] {
            let row = pending(n)
            try store.insert(row, audit: entry("upload.presign", row.id))
            _ = try pool.query("""
                INSERT INTO document_shares (document_id, user_id, created_at, document_created_at)
                VALUES (\(row.id)::uuid, 'carol', now(), now())
                """)
        }
        try pool.withConnection { connection throws(PostgresError) in
            _ = try connection.query("DELETE FROM schema_migrations WHERE version = 9")
            try connection.execute("DROP INDEX document_shares_listing")
            // Two shares for carol: a unique index on user_id fails half-way and stays invalid.
            XCTAssertThrowsError(try connection.execute("CREATE UNIQUE INDEX CONCURRENTLY document_shares_listing ON document_shares (user_id)"))
            XCTAssertEqual(try connection.query("""
                SELECT i.indisvalid::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'document_shares_listing'
                """).map { $0.string(0) }, ["false"])
            XCTAssertEqual(try Migrator().run(on: connection), [9])
            XCTAssertEqual(try connection.query("""
                SELECT i.indisvalid::text, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE c.relname = 'document_shares_listing'
                """).map { [$0.string(0), $0.string(1)] },
                [["true", "CREATE INDEX document_shares_listing ON public.document_shares USING btree (user_id, document_created_at DESC, document_id DESC)"]])
        }
    }

    /// A row whose status this version does not know is an error, not some other state.
    func testRegressionUnknownStatusIsAnErrorNotPending() throws {
        let row = pending(9)
        try store.insert(row, audit: entry("upload.presign", row.id))
        _ = try pool.query("ALTER TABLE documents DROP CONSTRAINT IF EXISTS documents_status_check")
        _ = try pool.query("UPDATE documents SET status = 'quarantined' WHERE id = \(row.id)::uuid")
        XCTAssertThrowsError(try store.document(id: row.id)) { error in
            XCTAssertEqual(error as? UnknownStatus, UnknownStatus(status: "quarantined"))
        }
    }

    /// Regression (attack campaign): libpq's default notice processor wrote PostgreSQL's notices
    /// to stderr as raw text, so a JSON log got lines that were not JSON. They reach the pool's
    /// observer instead, which the application hands to its logger.
    func testServerNoticesReachTheObserverNotStderr() throws {
        let url = try XCTUnwrap(ProcessInfo.processInfo.environment["PRESIGND_TEST_DATABASE_URL"])
        final class Notices: @unchecked Sendable { var all: [PostgresNotice] = [] }
        let notices = Notices()
        let observed = PostgresPool(settings: PostgresSettings(conninfo: url), observer: PoolObserver(notice: { notices.all.append($0) }))
        try observed.withConnection { connection throws(PostgresError) in
            try connection.execute("DO $$ BEGIN RAISE WARNING 'disk nearly full'; RAISE NOTICE 'just so you know'; END $$")
        }
        // PostgresSettings sets client_min_messages=warning, so the NOTICE never leaves the server.
        XCTAssertEqual(notices.all, [PostgresNotice(severity: "WARNING", message: "disk nearly full")])
    }

    func entry(_ action: AuditAction?, _ id: String, actor: String = "alice", at: UnixSeconds = 1_700_000_000) -> AuditEntry {
        AuditEntry(actor: actor, action: action, resource: "document:\(id)", clientAddress: "192.0.2.1", at: at)
    }

    func pending(_ n: Int, owner: String = "alice", at: UnixSeconds = 1_700_000_000) -> DocumentRecord {
        let id = "00000000-0000-4000-8000-00000000000\(n)"
        return DocumentRecord(id: id, ownerID: owner, objectKey: "documents/\(owner)/\(id).pdf", purpose: "document",
                              fileName: "a \"b\".pdf", declaredSize: 100, declaredType: "application/pdf", status: .pending, createdAt: at)
    }

    func ready(_ id: String) -> UploadChange {
        UploadChange(to: .ready, audit: "upload.confirm", actualSize: 90, actualType: "application/pdf")
    }

    /// With events on, each audited change an application hears of writes one event in its own
    /// statement: a change that did not happen (the row had moved on, the share existed) writes
    /// none; an internal step writes none; the body is the webhook payload, with no URL or token.
    func testEventsAreWrittenWithTheirChangesOnly() throws {
        let app = WebhookEndpoint(name: "app", url: "http://127.0.0.1:9/", secrets: [])
        let thumbs = WebhookEndpoint(name: "thumbs", url: "http://127.0.0.1:9/", secrets: [], events: [.uploadReady], purposes: ["avatar"])
        let events = PostgresDocumentStore(pool: pool, logger: .discarding, events: EventOutbox(endpoints: [app, thumbs]))
        let record = pending(1)
        try events.insert(record, audit: entry("upload.presign", record.id))
        XCTAssertTrue(try events.transition(id: record.id, from: .pending, ready(record.id), audit: entry("upload.confirm", record.id)))
        XCTAssertFalse(try events.transition(id: record.id, from: .pending, ready(record.id), audit: entry("upload.confirm", record.id)))
        XCTAssertTrue(try events.share(documentID: record.id, ownerID: "alice", with: "bob", audit: entry("document.share", record.id)))
        XCTAssertTrue(try events.share(documentID: record.id, ownerID: "alice", with: "bob", audit: entry("document.share", record.id)))
        XCTAssertTrue(try events.unshare(documentID: record.id, ownerID: "alice", from: "bob", audit: entry("document.unshare", record.id)))
        XCTAssertFalse(try events.unshare(documentID: record.id, ownerID: "alice", from: "bob", audit: entry("document.unshare", record.id)))
        let multipart = DocumentRecord(id: "00000000-0000-4000-8000-000000000002", ownerID: "alice", objectKey: "media/alice/x.mp4",
                                       purpose: "media", fileName: "x.mp4", declaredSize: 100, declaredType: "video/mp4",
                                       status: .uploading, uploadID: "u-2", partSize: 100, createdAt: 1_700_000_000)
        try events.insert(multipart, audit: entry("upload.create", multipart.id))
        XCTAssertTrue(try events.transition(id: multipart.id, from: .uploading, UploadChange(to: .completing, audit: nil), audit: entry(nil, multipart.id)))
        XCTAssertTrue(try events.transition(id: multipart.id, from: .completing, UploadChange(to: .rejected, audit: "upload.reject", rejection: "too \"big\""),
                                            audit: entry("upload.reject", multipart.id)))

        let rows = try pool.query("SELECT type, document_id::text, owner_id, purpose, body, seq FROM events ORDER BY seq")
        XCTAssertEqual(rows.map { $0.string(0) }, ["upload.ready", "share.added", "share.revoked", "upload.rejected"])
        XCTAssertEqual(rows.map { $0.string(1) }, [record.id, record.id, record.id, multipart.id])
        // One pending delivery per event for `app`; none for `thumbs` (ready avatars only: these are documents).
        XCTAssertEqual(try pool.query("SELECT endpoint, event_seq::text, state FROM event_deliveries ORDER BY event_seq").map(\.values),
                       rows.map { ["app", $0.string(5), "pending"] })
        let ready = try JSONParser().parse(Array(rows[0].string(4).utf8))
        XCTAssertEqual(ready["type"]?.stringValue, "upload.ready")
        XCTAssertEqual(ready["data"]?["id"]?.stringValue, record.id)
        XCTAssertEqual(ready["data"]?["size"]?.int64Value, 90)
        XCTAssertEqual(ready["data"]?["contentType"]?.stringValue, "application/pdf")
        XCTAssertEqual(ready["data"]?["fileName"]?.stringValue, "a \"b\".pdf")
        XCTAssertEqual(try JSONParser().parse(Array(rows[1].string(4).utf8))["data"]?["user"]?.stringValue, "bob")
        XCTAssertEqual(try JSONParser().parse(Array(rows[3].string(4).utf8))["data"]?["reason"]?.stringValue, "too \"big\"")
        // Without endpoints, events are written for LISTENers only: no delivery.
        let listenOnly = PostgresDocumentStore(pool: pool, logger: .discarding, events: EventOutbox(endpoints: []))
        XCTAssertTrue(try listenOnly.transition(id: record.id, from: .ready, UploadChange(to: .deleting, audit: .documentDelete),
                                                audit: entry("document.delete", record.id)))
        XCTAssertEqual(try pool.query("SELECT type FROM events ORDER BY seq DESC LIMIT 1").first?.values, ["document.deleted"])
        XCTAssertEqual(try pool.query("SELECT count(*) FROM event_deliveries").first?.int64(0), 4)
        // The default store writes none.
        XCTAssertFalse(try store.share(documentID: multipart.id, ownerID: "alice", with: "bob", audit: entry("document.share", multipart.id)))
        XCTAssertEqual(try pool.query("SELECT count(*) FROM events").first?.int64(0), 5)
    }

    func testLifecycleSharingListingAndAudit() throws {
        let record = pending(1)
        try store.insert(record, audit: entry("upload.presign", record.id))
        XCTAssertEqual(try store.document(id: record.id), record)
        XCTAssertNil(try store.openForDownload(id: record.id, userID: "alice", audit: entry("document.download", record.id)))
        XCTAssertFalse(try store.share(documentID: record.id, ownerID: "alice", with: "bob", audit: entry("document.share", record.id)),
                       "a pending upload cannot be shared")
        XCTAssertTrue(try store.transition(id: record.id, from: .pending, ready(record.id), audit: entry("upload.confirm", record.id)))
        XCTAssertFalse(try store.transition(id: record.id, from: .pending, ready(record.id), audit: entry("upload.confirm", record.id)),
                       "the row is no longer pending: nothing changes, no audit row")
        XCTAssertEqual(try store.document(id: record.id)?.actualSize, 90)
        XCTAssertEqual(try store.document(id: record.id)?.status, .ready)

        XCTAssertNotNil(try store.openForDownload(id: record.id, userID: "alice", audit: entry("document.download", record.id)))
        XCTAssertNil(try store.openForDownload(id: record.id, userID: "bob", audit: entry("document.download", record.id, actor: "bob")))
        XCTAssertFalse(try store.share(documentID: record.id, ownerID: "mallory", with: "bob", audit: entry("document.share", record.id)))
        XCTAssertTrue(try store.share(documentID: record.id, ownerID: "alice", with: "bob", audit: entry("document.share", record.id)))
        XCTAssertTrue(try store.share(documentID: record.id, ownerID: "alice", with: "bob", audit: entry("document.share", record.id)),
                      "sharing twice succeeds, with one audit row")
        XCTAssertNotNil(try store.openForDownload(id: record.id, userID: "bob", audit: entry("document.download", record.id, actor: "bob")))
        XCTAssertEqual(try store.listAccessible(userID: "bob", after: nil, limit: 10).map(\.id), [record.id])
        XCTAssertTrue(try store.unshare(documentID: record.id, ownerID: "alice", from: "bob", audit: entry("document.unshare", record.id)))
        XCTAssertFalse(try store.unshare(documentID: record.id, ownerID: "alice", from: "bob", audit: entry("document.unshare", record.id)),
                       "revoking a share that does not exist writes nothing")
        XCTAssertEqual(try store.listAccessible(userID: "bob", after: nil, limit: 10).map(\.id), [])

        let other = pending(2, at: 1_700_000_100)
        try store.insert(other, audit: entry("upload.presign", other.id))
        _ = try store.transition(id: other.id, from: .pending, ready(other.id), audit: entry("upload.confirm", other.id))
        let third = pending(3, at: 1_700_000_100)
        try store.insert(third, audit: entry("upload.presign", third.id))
        _ = try store.transition(id: third.id, from: .pending, ready(third.id), audit: entry("upload.confirm", third.id))
        let page1 = try store.listAccessible(userID: "alice", after: nil, limit: 2)
        XCTAssertEqual(page1.map(\.id), [third.id, other.id])
        let page2 = try store.listAccessible(userID: "alice", after: DocumentCursor(createdAt: page1[1].createdAt, id: page1[1].id), limit: 2)
        XCTAssertEqual(page2.map(\.id), [record.id])

        let deleting = UploadChange(to: .deleting, audit: "document.delete")
        XCTAssertTrue(try store.transition(id: record.id, from: .ready, deleting, audit: entry("document.delete", record.id)))
        XCTAssertFalse(try store.transition(id: record.id, from: .ready, deleting, audit: entry("document.delete", record.id)))
        XCTAssertEqual(try store.listAccessible(userID: "alice", after: nil, limit: 5).map(\.id), [third.id, other.id],
                       "a document being deleted is not listed")
        try store.removeDeleted(id: record.id)
        XCTAssertNil(try store.document(id: record.id))

        let audit = try pool.query("SELECT action FROM audit_log WHERE resource = \("document:" + record.id) ORDER BY id").map { $0.string(0) }
        XCTAssertEqual(audit, ["upload.presign", "upload.confirm", "document.download", "document.share",
                               "document.download", "document.unshare", "document.delete"])
        XCTAssertThrowsError(try pool.query("DELETE FROM audit_log"))
    }

    func testMultipartRowsAndSweepCandidates() throws {
        var record = pending(6, at: 1_000)
        record.status = .uploading
        record.uploadID = "upload/6+="
        record.partSize = 8 << 20
        try store.insert(record, audit: entry("upload.create", record.id))
        XCTAssertEqual(try store.document(uploadID: "upload/6+="), record)
        XCTAssertNil(try store.document(uploadID: "upload/7"))
        XCTAssertTrue(try store.transition(id: record.id, from: .uploading, UploadChange(to: .completing, audit: nil),
                                           audit: entry(nil, record.id)))
        XCTAssertEqual(try pool.query("SELECT count(*) FROM audit_log WHERE resource = \("document:" + record.id)"), [PostgresRow(["1"])],
                       "an internal step writes no audit row")
        let young = pending(7, at: 5_000)
        try store.insert(young, audit: entry("upload.presign", young.id))
        XCTAssertEqual(try store.sweepCandidates(createdBefore: 2_000, updatedBefore: 0, limit: 10).map(\.id), [record.id])
        XCTAssertEqual(try store.sweepCandidates(createdBefore: 6_000, updatedBefore: 0, limit: 10).map(\.id), [record.id, young.id])

        var bad = pending(8)
        bad.status = .uploading  // a multipart row without its uploadId breaks the schema's rule
        XCTAssertThrowsError(try store.insert(bad, audit: entry("upload.create", bad.id)))
    }

    func testRejectionAndUnavailableServer() throws {
        let record = pending(4)
        try store.insert(record, audit: entry("upload.presign", record.id))
        XCTAssertTrue(try store.transition(id: record.id, from: .pending, UploadChange(to: .rejected, audit: "upload.reject", rejection: "too big"),
                                           audit: entry("upload.reject", record.id)))
        XCTAssertEqual(try store.document(id: record.id)?.status, .rejected)
        XCTAssertEqual(try store.document(id: record.id)?.rejection, "too big")

        let nowhere = PostgresDocumentStore(pool: PostgresPool(settings: PostgresSettings(conninfo: "postgresql://nobody@127.0.0.1:1/x")), logger: .discarding)
        XCTAssertThrowsError(try nowhere.ping()) { error in
            XCTAssertEqual((error as? APIErrorConvertible)?.apiError.code, "database_unavailable")
            XCTAssertEqual((error as? APIErrorConvertible)?.apiError.headers["Retry-After"], "5")
        }
    }

    func testSQLValuesAreBoundNotSpliced() throws {
        let hostile = "x'); DROP TABLE documents; --"
        let rows = try pool.query("SELECT \(hostile)::text, \(Int64(42))::bigint, \(nil as String?)::text")
        XCTAssertEqual(rows, [PostgresRow([hostile, "42", nil])])
    }

    /// The latest time a cursor may carry is one PostgreSQL can hold; one more was a 500.
    func testLatestCursorTimeIsWithinPostgreSQLRange() throws {
        let latest = DocumentCursor.decode(DocumentCursor(createdAt: 253_402_300_799, id: "00000000-0000-4000-8000-000000000001").encoded)
        XCTAssertNotNil(latest)
        XCTAssertEqual(try store.listAccessible(userID: "alice", after: latest, limit: 5), [])
        XCTAssertThrowsError(try store.listAccessible(userID: "alice", after: DocumentCursor(createdAt: .max, id: "00000000-0000-4000-8000-000000000001"), limit: 5))
    }

    /// Regression: a NUL cut a bound value short, so sharing with "bob\0x" shared with bob.
    func testRegressionNULInAValueIsRefusedNotTruncated() throws {
        let record = pending(5)
        try store.insert(record, audit: entry("upload.presign", record.id))
        _ = try store.transition(id: record.id, from: .pending, ready(record.id), audit: entry("upload.confirm", record.id))
        XCTAssertThrowsError(try store.share(documentID: record.id, ownerID: "alice", with: "bob\u{0}x", audit: entry("document.share", record.id)))
        XCTAssertEqual(try pool.query("SELECT count(*) FROM document_shares"), [PostgresRow(["0"])])
        XCTAssertEqual(try pool.query("SELECT \("bob")::text"), [PostgresRow(["bob"])], "the connection is still usable")
    }

    func testARevocationIsOneRowItsAuditRowAndANotificationEveryWatcherApplies() throws {
        guard let url = ProcessInfo.processInfo.environment["PRESIGND_TEST_DATABASE_URL"] else { return }
        let settings = PostgresSettings(conninfo: url)
        let revoker = PostgresRevocations(pool: pool, settings: settings, logger: .discarding)
        let watcher = PostgresRevocations(pool: PostgresPool(settings: settings), settings: settings, logger: .discarding,
                                          intervalMilliseconds: 50)
        let stop = Mutex(false)
        let watching = Thread { watcher.watch(while: { !stop.withLock { $0 } }) }
        watching.start()
        defer { stop.withLock { $0 = true } }
        func audit(_ subject: RevocationSubject, at: UnixSeconds) -> AuditEntry {
            AuditEntry(actor: "ops", action: subject.auditAction, resource: subject.auditResource, clientAddress: "192.0.2.1", at: at)
        }
        Thread.sleep(forTimeInterval: 0.3)  // the watcher listens

        XCTAssertEqual(try revoker.revoke(.user("alice"), cutoff: 1_000, reason: "left", audit: audit(.user("alice"), at: 999)), 1_000)
        XCTAssertEqual(try revoker.revoke(.user("alice"), cutoff: 900, reason: nil, audit: audit(.user("alice"), at: 899)), 1_000,
                       "an earlier cutoff never moves it back")
        XCTAssertEqual(try revoker.revoke(.cdnKey("K1"), cutoff: 2_000, reason: nil, audit: audit(.cdnKey("K1"), at: 1_999)), 2_000)
        XCTAssertEqual(revoker.cutoff(.user("alice")), 1_000, "the revoking process applies it at once")
        let deadline = Date().addingTimeInterval(5)
        while (watcher.cutoff(.user("alice")) == nil || !watcher.isRetired(cdnKey: "K1")) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        XCTAssertEqual(watcher.cutoff(.user("alice")), 1_000, "heard through NOTIFY")
        XCTAssertTrue(watcher.isRetired(cdnKey: "K1"))
        XCTAssertNil(watcher.cutoff(.user("bob")))
        XCTAssertEqual(try pool.query("SELECT kind, subject, extract(epoch from cutoff)::bigint FROM revocations ORDER BY kind"),
                       [PostgresRow(["cdn_key", "K1", "2000"]), PostgresRow(["user", "alice", "1000"])])
        XCTAssertEqual(try pool.query("SELECT action, resource, actor FROM audit_log ORDER BY at"),
                       [PostgresRow(["user.revoke", "user:alice", "ops"]), PostgresRow(["user.revoke", "user:alice", "ops"]),
                        PostgresRow(["cdn.key.retire", "cdn-key:K1", "ops"])], "one audit row per revocation")

        // A process that starts later reads them all before its first request.
        let late = PostgresRevocations(pool: PostgresPool(settings: settings), settings: settings, logger: .discarding)
        try late.load()
        XCTAssertEqual(late.cutoff(.user("alice")), 1_000)
        XCTAssertTrue(late.isRetired(cdnKey: "K1"))
    }
}
