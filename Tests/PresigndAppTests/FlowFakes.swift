import Synchronization
@testable import PresigndApp
import PresigndCore

/// An in-memory `DocumentStore` with the same rules as the SQL one (one conditional
/// transition, audit rows only for changes that happened), and a switch to play "the
/// database is down".
final class MemoryDocumentStore: DocumentStore {
    struct State {
        var documents: [String: DocumentRecord] = [:]
        var shares: Set<String> = []
        var audit: [AuditEntry] = []
        var down = false
    }
    let state = Mutex(State())

    func check(_ s: State) throws { if s.down { throw DependencyUnavailable(.database) } }

    func insert(_ record: DocumentRecord, audit: AuditEntry, quota: UploadQuota?) throws {
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
            s.audit.append(audit)
        }
    }
    func usage(ownerID: String) throws -> [PurposeUsage] {
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
    func document(id: String) throws -> DocumentRecord? {
        try state.withLock { s in try check(s); return s.documents[id] }
    }
    func document(uploadID: String) throws -> DocumentRecord? {
        try state.withLock { s in try check(s); return s.documents.values.first { $0.uploadID == uploadID } }
    }
    func transition(id: String, from: UploadStatus, _ change: UploadChange, audit: AuditEntry) throws -> Bool {
        try state.withLock { s in
            try check(s)
            guard var d = s.documents[id], d.status == from else { return false }
            d.status = change.to
            d.actualSize = change.actualSize ?? d.actualSize
            d.actualType = change.actualType ?? d.actualType
            d.rejection = change.rejection ?? d.rejection
            s.documents[id] = d
            if change.audit != nil { s.audit.append(audit) }
            if change.to == .deleting { s.shares = s.shares.filter { !$0.hasPrefix(id + " ") } }
            return true
        }
    }
    func removeDeleted(id: String) throws {
        try state.withLock { s in try check(s); if s.documents[id]?.status == .deleting { s.documents[id] = nil } }
    }
    func sweepCandidates(createdBefore: UnixSeconds, updatedBefore: UnixSeconds, limit: Int) throws -> [DocumentRecord] {
        try state.withLock { s in
            try check(s)
            return Array(s.documents.values.filter { d in
                (UploadStatus.unfinished.contains(d.status) && d.createdAt < createdBefore) || d.status == .deleting
            }.sorted { $0.createdAt < $1.createdAt }.prefix(limit))
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
    func share(documentID: String, ownerID: String, with userID: String, audit: AuditEntry) throws -> Bool {
        try state.withLock { s in
            try check(s)
            guard let d = s.documents[documentID], d.ownerID == ownerID, d.status == .ready else { return false }
            if s.shares.insert("\(documentID) \(userID)").inserted { s.audit.append(audit) }
            return true
        }
    }
    func unshare(documentID: String, ownerID: String, from userID: String, audit: AuditEntry) throws -> Bool {
        try state.withLock { s in
            try check(s)
            guard let d = s.documents[documentID], d.ownerID == ownerID, d.status != .deleting,
                  s.shares.remove("\(documentID) \(userID)") != nil else { return false }
            s.audit.append(audit)
            return true
        }
    }
    func record(_ audit: AuditEntry) throws {
        try state.withLock { s in try check(s); s.audit.append(audit) }
    }
    func ping() throws { try state.withLock { s in try check(s) } }
}

/// An in-memory object store with multipart uploads: parts are kept by number, completion
/// joins their sizes into one object.
final class MemoryObjectStore: ObjectStore {
    struct Upload {
        var key: String
        var contentType: String
        var parts: [Int: UploadedPartInfo] = [:]
    }
    struct State {
        var objects: [String: ObjectHead] = [:]
        var deleted: [String] = []
        var uploads: [String: Upload] = [:]
        var aborted: [String] = []
        var calls: [String] = []
        var down = false
        var nextUpload = 0
    }
    let state = Mutex(State())

    func head(key: String) throws -> ObjectHead? {
        try state.withLock { s in if s.down { throw DependencyUnavailable(.storage) }; s.calls.append("HeadObject"); return s.objects[key] }
    }
    func delete(key: String) throws {
        try state.withLock { s in
            if s.down { throw DependencyUnavailable(.storage) }
            s.calls.append("DeleteObject")
            s.objects[key] = nil
            s.deleted.append(key)
        }
    }
    func createMultipartUpload(key: String, contentType: String, contentDisposition: String) throws -> String {
        try state.withLock { s in
            if s.down { throw DependencyUnavailable(.storage) }
            s.calls.append("CreateMultipartUpload")
            s.nextUpload += 1
            let id = "upload-\(s.nextUpload)"
            s.uploads[id] = Upload(key: key, contentType: contentType)
            return id
        }
    }
    /// What a client's PUT of a part does.
    func putPart(uploadID: String, number: Int, size: Int64) {
        state.withLock { s in s.uploads[uploadID]?.parts[number] = UploadedPartInfo(number: number, etag: "\"etag-\(number)\"", size: size) }
    }
    func listParts(key: String, uploadID: String) throws -> [UploadedPartInfo] {
        try state.withLock { s in
            if s.down { throw DependencyUnavailable(.storage) }
            s.calls.append("ListParts")
            guard let upload = s.uploads[uploadID], upload.key == key else { throw StoreRefusal(code: "NoSuchUpload") }
            return upload.parts.values.sorted { $0.number < $1.number }
        }
    }
    func completeMultipartUpload(key: String, uploadID: String, parts: [(number: Int, etag: String)]) throws {
        try state.withLock { s in
            if s.down { throw DependencyUnavailable(.storage) }
            s.calls.append("CompleteMultipartUpload")
            guard let upload = s.uploads[uploadID], upload.key == key else { throw StoreRefusal(code: "NoSuchUpload") }
            var size: Int64 = 0
            for part in parts {
                guard let held = upload.parts[part.number], held.etag == part.etag else { throw StoreRefusal(code: "InvalidPart") }
                size += held.size
            }
            s.objects[key] = ObjectHead(size: size, contentType: upload.contentType)
            s.uploads[uploadID] = nil
        }
    }
    func abortMultipartUpload(key: String, uploadID: String) throws {
        try state.withLock { s in
            if s.down { throw DependencyUnavailable(.storage) }
            s.calls.append("AbortMultipartUpload")
            s.uploads[uploadID] = nil
            s.aborted.append(uploadID)
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
    func presignPut(key: String, contentType: String, contentLength: Int64?, expiresIn: Int64, now: UnixSeconds) throws -> SignedURL {
        var headers = [(name: "Content-Type", value: contentType)]
        if let contentLength { headers.append((name: "Content-Length", value: String(contentLength))) }
        return SignedURL(url: "https://s3.test/bucket/\(key)?put", headers: headers, expiresAt: now + expiresIn)
    }
    func presignUploadPart(key: String, uploadID: String, partNumber: Int, contentLength: Int64?, expiresIn: Int64,
                           now: UnixSeconds) throws -> SignedURL {
        SignedURL(url: "https://s3.test/bucket/\(key)?partNumber=\(partNumber)&uploadId=\(uploadID)&length=\(contentLength.map(String.init) ?? "any")",
                  expiresAt: now + expiresIn)
    }
    func presignGet(key: String, responseContentDisposition: String?, responseContentType: String?, expiresIn: Int64, now: UnixSeconds) throws -> SignedURL {
        SignedURL(url: "https://s3.test/bucket/\(key)?get&cd=\(PercentEncoding.encode(responseContentDisposition ?? ""))&ct=\(responseContentType ?? "")&exp=\(expiresIn)",
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
