import Synchronization
import PresigndHTTP
import PresigndJWT
import PresigndMetrics
import PresigndSigning
package import PresigndSupport
package import PresigndUploads

/// An in-memory `DocumentStore` with the same rules as the SQL one (one conditional
/// transition, audit rows only for changes that happened), and a switch to play "the
/// database is down": for tests and for trying the flows without PostgreSQL. The store
/// contract suite (`DocumentStoreContract`) holds it and `PostgresDocumentStore` to the same answers.
package final class MemoryDocumentStore: DocumentStore {
    struct State {
        var documents: [String: DocumentRecord] = [:]
        var shares: Set<String> = []
        var audit: [AuditEntry] = []
        var down = false
        /// When each row last changed (its insert or transition's audit time), for the sweeper.
        var updatedAt: [String: UnixSeconds] = [:]
    }
    let state = Mutex(State())

    package init() {}

    /// Every audit entry written, oldest first.
    package var auditLog: [AuditEntry] { state.withLock { $0.audit } }

    /// Plays "the database is down" (every call throws `DependencyUnavailable`) or back up.
    package func setUnavailable(_ down: Bool) { state.withLock { $0.down = down } }

    func check(_ s: State) throws { if s.down { throw DependencyUnavailable(.database) } }

    package func insert(_ record: DocumentRecord, audit: AuditEntry, quota: UploadQuota?) throws {
        try state.withLock { s in
            try check(s)
            if let quota {
                let used = usage(s, ownerID: record.ownerID).first { $0.purpose == record.purpose }
                    ?? PurposeUsage(purpose: record.purpose, files: 0, bytes: 0)
                if used.files + 1 > quota.maxFiles ?? .max || used.bytes + record.declaredSize > quota.maxBytes ?? .max {
                    throw QuotaExceeded(purpose: record.purpose, quota: quota, usage: used, requested: record.declaredSize)
                }
            }
            s.documents[record.id] = record
            s.updatedAt[record.id] = audit.at
            s.audit.append(audit)
        }
    }
    package func usage(ownerID: String) throws -> [PurposeUsage] {
        try state.withLock { s in try check(s); return usage(s, ownerID: ownerID) }
    }
    func usage(_ s: State, ownerID: String) -> [PurposeUsage] {
        var byPurpose: [String: (files: Int64, bytes: Int64)] = [:]
        for d in s.documents.values where d.ownerID == ownerID && d.status.holdsQuota {
            byPurpose[d.purpose, default: (0, 0)].files += 1
            byPurpose[d.purpose, default: (0, 0)].bytes += d.chargedBytes
        }
        return byPurpose.map { PurposeUsage(purpose: $0.key, files: $0.value.files, bytes: $0.value.bytes) }.sorted { $0.purpose < $1.purpose }
    }
    package func document(id: String) throws -> DocumentRecord? {
        try state.withLock { s in try check(s); return s.documents[id] }
    }
    package func document(uploadID: String) throws -> DocumentRecord? {
        try state.withLock { s in try check(s); return s.documents.values.first { $0.uploadID == uploadID } }
    }
    package func transition(id: String, from: UploadStatus, _ change: UploadChange, audit: AuditEntry) throws -> Bool {
        try state.withLock { s in
            try check(s)
            guard var d = s.documents[id], d.status == from else { return false }
            d.status = change.to
            d.actualSize = change.actualSize ?? d.actualSize
            d.actualType = change.actualType ?? d.actualType
            d.rejection = change.rejection ?? d.rejection
            s.documents[id] = d
            s.updatedAt[id] = audit.at
            if change.audit != nil { s.audit.append(audit) }
            if !change.to.isVisibleToOwner { s.shares = s.shares.filter { !$0.hasPrefix(id + " ") } }
            return true
        }
    }
    package func removeDeleted(id: String) throws {
        try state.withLock { s in try check(s); if s.documents[id]?.status.isVisibleToOwner == false { s.documents[id] = nil } }
    }
    package func sweepCandidates(createdBefore: UnixSeconds, updatedBefore: UnixSeconds, limit: Int) throws -> [DocumentRecord] {
        try state.withLock { s in
            try check(s)
            return Array(s.documents.values.filter { d in
                (d.status.isUnfinished && d.createdAt < createdBefore)
                    || (!d.status.isVisibleToOwner && s.updatedAt[d.id, default: d.createdAt] < updatedBefore)
            }.sorted { $0.createdAt < $1.createdAt }.prefix(limit))
        }
    }
    func canSee(_ s: State, _ d: DocumentRecord, _ user: String) -> Bool {
        d.status.isAvailable && (d.ownerID == user || s.shares.contains("\(d.id) \(user)"))
    }
    package func openForDownload(id: String, userID: String, audit: AuditEntry) throws -> DocumentRecord? {
        try state.withLock { s in
            try check(s)
            guard let d = s.documents[id], canSee(s, d, userID) else { return nil }
            s.audit.append(audit)
            return d
        }
    }
    package func listAccessible(userID: String, after: DocumentCursor?, limit: Int) throws -> [DocumentRecord] {
        try state.withLock { s in
            try check(s)
            let visible = s.documents.values.filter { canSee(s, $0, userID) }
                .sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
                .filter { d in after.map { (d.createdAt, d.id) < ($0.createdAt, $0.id) } ?? true }
            return Array(visible.prefix(limit))
        }
    }
    package func share(documentID: String, ownerID: String, with userID: String, audit: AuditEntry) throws -> Bool {
        try state.withLock { s in
            try check(s)
            guard let d = s.documents[documentID], d.ownerID == ownerID, d.status.isAvailable else { return false }
            if s.shares.insert("\(documentID) \(userID)").inserted { s.audit.append(audit) }
            return true
        }
    }
    package func unshare(documentID: String, ownerID: String, from userID: String, audit: AuditEntry) throws -> Bool {
        try state.withLock { s in
            try check(s)
            guard let d = s.documents[documentID], d.ownerID == ownerID, d.status.isVisibleToOwner,
                  s.shares.remove("\(documentID) \(userID)") != nil else { return false }
            s.audit.append(audit)
            return true
        }
    }
    package func record(_ audit: AuditEntry) throws {
        try state.withLock { s in try check(s); s.audit.append(audit) }
    }
    package func ping() throws { try state.withLock { s in try check(s) } }
}

