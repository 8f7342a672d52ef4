import Synchronization
@testable import PresigndApp
import PresigndSupport
import PresigndHTTP
@testable import PresigndSigning
import PresigndUploads

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
        /// Objects' bytes, where a test gave them; others read as an honest file of their type.
        var contents: [String: [UInt8]] = [:]
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
    func firstBytes(key: String, count: Int) throws -> [UInt8]? {
        try state.withLock { s in
            if s.down { throw DependencyUnavailable(.storage) }
            s.calls.append("GetObject")
            guard let head = s.objects[key] else { return nil }
            return Array((s.contents[key] ?? MemoryObjectStore.honestBytes(head.contentType)).prefix(count))
        }
    }
    /// The start of a file of that type, as an honest client uploads it.
    static func honestBytes(_ contentType: String) -> [UInt8] {
        switch contentType {
        case "image/png": return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]
        case "image/jpeg": return [0xFF, 0xD8, 0xFF, 0xE0, 0, 16]
        case "application/pdf": return Array("%PDF-1.7\n".utf8)
        default: return Array("plain text\n".utf8)
        }
    }
    func delete(key: String) throws {
        try state.withLock { s in
            if s.down { throw DependencyUnavailable(.storage) }
            s.calls.append("DeleteObject")
            s.objects[key] = nil
            s.deleted.append(key)
        }
    }
    func createMultipartUpload(key: String, contentType: String, contentDisposition: String,
                               checksumAlgorithm: ChecksumAlgorithm?) throws -> String {
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
    func completeMultipartUpload(key: String, uploadID: String, parts: [(number: Int, etag: String)], checksums: [Int: String]) throws {
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
    func presignPut(key: String, contentType: String, contentLength: Int64?, checksum: DeclaredChecksum?, expiresIn: Int64,
                    now: UnixSeconds) throws -> SignedURL {
        var headers = [(name: "Content-Type", value: contentType)]
        if let contentLength { headers.append((name: "Content-Length", value: String(contentLength))) }
        if let checksum { headers.append((name: checksum.algorithm.header, value: checksum.value)) }
        return SignedURL(url: "https://s3.test/bucket/\(key)?put", headers: headers, expiresAt: now + expiresIn)
    }
    func presignUploadPart(key: String, uploadID: String, partNumber: Int, contentLength: Int64?, checksum: DeclaredChecksum?,
                           expiresIn: Int64, now: UnixSeconds) throws -> SignedURL {
        SignedURL(url: "https://s3.test/bucket/\(key)?partNumber=\(partNumber)&uploadId=\(uploadID)&length=\(contentLength.map(String.init) ?? "any")",
                  headers: checksum.map { [(name: $0.algorithm.header, value: $0.value)] } ?? [], expiresAt: now + expiresIn)
    }
    func presignGet(key: String, responseContentDisposition: String?, responseContentType: String?, expiresIn: Int64, now: UnixSeconds) throws -> SignedURL {
        SignedURL(url: "https://s3.test/bucket/\(key)?get&cd=\(PercentEncoding.encode(responseContentDisposition ?? ""))&ct=\(responseContentType ?? "")&exp=\(expiresIn)",
                  expiresAt: now + expiresIn)
    }
    func signGet(key: String, now: UnixSeconds) throws -> SignedURL {
        SignedURL(url: "https://s3.test/bucket/\(key)", headers: [("Authorization", "AWS4-HMAC-SHA256 test"), ("X-Amz-Date", "\(now)"),
                                                                  ("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD")], expiresAt: now + 900)
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
