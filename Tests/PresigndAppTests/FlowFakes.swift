import Synchronization
@testable import PresigndApp
import PresigndCore

/// An in-memory `DocumentStore` with the same rules as the SQL one, and a switch to play
/// "the database is down".
final class MemoryDocumentStore: DocumentStore {
    struct State {
        var documents: [String: DocumentRecord] = [:]
        var shares: Set<String> = []
        var audit: [AuditEntry] = []
        var down = false
    }
    let state = Mutex(State())

    func check(_ s: State) throws { if s.down { throw DependencyUnavailable(.database) } }

    func insertPending(_ record: DocumentRecord, audit: AuditEntry) throws {
        try state.withLock { s in try check(s); s.documents[record.id] = record; s.audit.append(audit) }
    }
    func document(id: String) throws -> DocumentRecord? {
        try state.withLock { s in try check(s); return s.documents[id] }
    }
    func markReady(id: String, size: Int64, contentType: String, audit: AuditEntry) throws -> Bool {
        try state.withLock { s in
            try check(s)
            guard s.documents[id]?.status == .pending else { return false }
            s.documents[id]!.status = .ready
            s.documents[id]!.actualSize = size
            s.documents[id]!.actualType = contentType
            s.audit.append(audit)
            return true
        }
    }
    func markRejected(id: String, reason: String, audit: AuditEntry) throws {
        try state.withLock { s in
            try check(s)
            guard s.documents[id]?.status == .pending else { return }
            s.documents[id]!.status = .rejected
            s.documents[id]!.rejection = reason
            s.audit.append(audit)
        }
    }
    func canSee(_ s: State, _ d: DocumentRecord, _ user: String) -> Bool {
        d.status == .ready && (d.ownerID == user || s.shares.contains("\(d.id) \(user)"))
    }
    func openForDownload(id: String, userID: String, audit: AuditEntry) throws -> DocumentRecord? {
        try state.withLock { s in
            try check(s)
            guard let d = s.documents[id], canSee(s, d, userID) else { return nil }
            s.audit.append(audit)
            return d
        }
    }
    func listAccessible(userID: String, after: DocumentCursor?, limit: Int) throws -> [DocumentRecord] {
        try state.withLock { s in
            try check(s)
            let visible = s.documents.values.filter { canSee(s, $0, userID) }
                .sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
                .filter { d in after.map { (d.createdAt, d.id) < ($0.createdAt, $0.id) } ?? true }
            return Array(visible.prefix(limit))
        }
    }
    func share(documentID: String, with userID: String, audit: AuditEntry) throws {
        try state.withLock { s in try check(s); s.shares.insert("\(documentID) \(userID)"); s.audit.append(audit) }
    }
    func unshare(documentID: String, from userID: String, audit: AuditEntry) throws {
        try state.withLock { s in try check(s); s.shares.remove("\(documentID) \(userID)"); s.audit.append(audit) }
    }
    func delete(documentID: String, audit: AuditEntry) throws {
        try state.withLock { s in try check(s); s.documents[documentID] = nil; s.audit.append(audit) }
    }
    func record(_ audit: AuditEntry) throws {
        try state.withLock { s in try check(s); s.audit.append(audit) }
    }
    func ping() throws { try state.withLock { s in try check(s) } }
}

final class MemoryObjectStore: ObjectStore {
    struct State {
        var objects: [String: ObjectHead] = [:]
        var deleted: [String] = []
        var down = false
    }
    let state = Mutex(State())
    func head(key: String) throws -> ObjectHead? {
        try state.withLock { s in if s.down { throw DependencyUnavailable(.storage) }; return s.objects[key] }
    }
    func delete(key: String) throws {
        try state.withLock { s in
            if s.down { throw DependencyUnavailable(.storage) }
            s.objects[key] = nil
            s.deleted.append(key)
        }
    }
}

/// Records what it was asked to sign and returns recognisable text.
struct FakeURLSigner: ObjectURLSigner {
    func presignPost(_ rules: PostUploadRules, expiresIn: Int64, now: UnixSeconds) throws -> UploadForm {
        UploadForm(url: "https://s3.test/bucket", fields: [
            ("key", rules.key), ("Content-Type", rules.contentType), ("Content-Disposition", rules.contentDisposition),
            ("x-test-rule", "max=\(rules.maxSize) prefix=\(rules.contentTypePrefix) exp=\(expiresIn)"),
        ], expiresAt: now + expiresIn)
    }
    func presignPut(key: String, contentType: String, expiresIn: Int64, now: UnixSeconds) throws -> SignedURL {
        SignedURL(url: "https://s3.test/bucket/\(key)?put", headers: [("Content-Type", contentType)], expiresAt: now + expiresIn)
    }
    func presignGet(key: String, responseContentDisposition: String, responseContentType: String?, expiresIn: Int64, now: UnixSeconds) throws -> SignedURL {
        SignedURL(url: "https://s3.test/bucket/\(key)?get&cd=\(PercentEncoding.encode(responseContentDisposition))&ct=\(responseContentType ?? "")&exp=\(expiresIn)",
                  expiresAt: now + expiresIn)
    }
}

final class CountingCookieSigner: CDNCookieSigner {
    let calls = Mutex<[(String, UnixSeconds)]>([])
    func cookies(resource: String, expiresAt: UnixSeconds) throws -> [(name: String, value: String)] {
        calls.withLock { $0.append((resource, expiresAt)) }
        return [("CloudFront-Policy", "p\(expiresAt)"), ("CloudFront-Signature", "s\(expiresAt)"), ("CloudFront-Key-Pair-Id", "K1")]
    }
}

/// Takes the user id straight from `Authorization: Test <id>`.
struct HeaderAuthenticator: Authenticator {
    func authenticate(_ request: HTTPRequest, now: UnixSeconds) throws(APIError) -> AuthenticatedUser {
        guard let value = request.headers["Authorization"], value.hasPrefix("Test ") else {
            throw APIError(status: 401, code: "unauthenticated", message: "no token")
        }
        return AuthenticatedUser(id: String(value.dropFirst(5)))
    }
}
