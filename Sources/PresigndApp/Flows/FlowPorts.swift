import PresigndCore

/// Where an upload stands.
public enum DocumentStatus: String, Sendable {
    case pending, ready, rejected
}

/// One upload/document row.
public struct DocumentRecord: Sendable, Equatable {
    public var id: String
    public var ownerID: String
    public var objectKey: String
    public var purpose: String
    public var fileName: String
    public var declaredSize: Int64
    public var declaredType: String
    public var actualSize: Int64?
    public var actualType: String?
    public var status: DocumentStatus
    public var rejection: String?
    public var createdAt: UnixSeconds

    public init(id: String, ownerID: String, objectKey: String, purpose: String, fileName: String, declaredSize: Int64,
                declaredType: String, actualSize: Int64? = nil, actualType: String? = nil, status: DocumentStatus,
                rejection: String? = nil, createdAt: UnixSeconds) {
        self.id = id
        self.ownerID = ownerID
        self.objectKey = objectKey
        self.purpose = purpose
        self.fileName = fileName
        self.declaredSize = declaredSize
        self.declaredType = declaredType
        self.actualSize = actualSize
        self.actualType = actualType
        self.status = status
        self.rejection = rejection
        self.createdAt = createdAt
    }
}

/// One audit-log row: who did what to which resource, when, from where.
public struct AuditEntry: Sendable, Equatable {
    public let actor: String
    public let action: String
    public let resource: String
    public let clientAddress: String
    public let at: UnixSeconds

    public init(actor: String, action: String, resource: String, clientAddress: String, at: UnixSeconds) {
        self.actor = actor
        self.action = action
        self.resource = resource
        self.clientAddress = clientAddress
        self.at = at
    }
}

/// Upload metadata, sharing and the audit log. Every write that comes with an audit entry
/// stores both or neither. Failures to reach the database throw `DependencyUnavailable`.
public protocol DocumentStore: Sendable {
    func insertPending(_ record: DocumentRecord, audit: AuditEntry) throws
    func document(id: String) throws -> DocumentRecord?
    /// Moves a pending upload to ready; false when it was no longer pending.
    func markReady(id: String, size: Int64, contentType: String, audit: AuditEntry) throws -> Bool
    func markRejected(id: String, reason: String, audit: AuditEntry) throws
    /// The ready document if `userID` owns it or it is shared with them, writing the audit
    /// entry in the same statement; nil otherwise (and nothing written).
    func openForDownload(id: String, userID: String, audit: AuditEntry) throws -> DocumentRecord?
    /// Ready documents `userID` owns or that are shared with them, newest first.
    func listAccessible(userID: String, after: DocumentCursor?, limit: Int) throws -> [DocumentRecord]
    func share(documentID: String, with userID: String, audit: AuditEntry) throws
    func unshare(documentID: String, from userID: String, audit: AuditEntry) throws
    func delete(documentID: String, audit: AuditEntry) throws
    func record(_ audit: AuditEntry) throws
    /// Throws unless the database answers.
    func ping() throws
}

/// The object store as the confirm and delete flows see it.
public protocol ObjectStore: Sendable {
    /// Size and type of the object, nil when there is none. Throws `DependencyUnavailable`
    /// when the store cannot be reached.
    func head(key: String) throws -> ObjectHead?
    /// Deletes the object; deleting a missing object succeeds.
    func delete(key: String) throws
}

/// A presigned POST form as the upload flow hands it out: where to send it and the fields to send before the file.
public struct UploadForm: Sendable {
    public let url: String
    public let fields: [(name: String, value: String)]
    /// When the signature stops working (earlier than asked if the credentials expire first).
    public let expiresAt: UnixSeconds

    public init(url: String, fields: [(name: String, value: String)], expiresAt: UnixSeconds) {
        self.url = url
        self.fields = fields
        self.expiresAt = expiresAt
    }
}

/// A presigned URL, the headers the client must send with it, and when it stops working.
public struct SignedURL: Sendable {
    public let url: String
    public let headers: [(name: String, value: String)]
    public let expiresAt: UnixSeconds

    public init(url: String, headers: [(name: String, value: String)] = [], expiresAt: UnixSeconds) {
        self.url = url
        self.headers = headers
        self.expiresAt = expiresAt
    }
}

/// What a presigned POST policy must enforce for one upload.
public struct PostUploadRules: Sendable, Equatable {
    public init(key: String, contentType: String, contentTypePrefix: String, maxSize: Int64, contentDisposition: String) {
        self.key = key
        self.contentType = contentType
        self.contentTypePrefix = contentTypePrefix
        self.maxSize = maxSize
        self.contentDisposition = contentDisposition
    }

    public let key: String
    public let contentType: String
    /// `starts-with $Content-Type` value; empty allows any type.
    public let contentTypePrefix: String
    public let maxSize: Int64
    public let contentDisposition: String
}

/// Signs URLs and forms for the object store (SigV4). Pure computation: nothing is sent.
public protocol ObjectURLSigner: Sendable {
    func presignPost(_ rules: PostUploadRules, expiresIn: Int64, now: UnixSeconds) throws -> UploadForm
    /// A PUT URL with `Content-Type` signed; returns the URL and the headers the client must send.
    func presignPut(key: String, contentType: String, expiresIn: Int64, now: UnixSeconds) throws -> SignedURL
    func presignGet(key: String, responseContentDisposition: String, responseContentType: String?,
                    expiresIn: Int64, now: UnixSeconds) throws -> SignedURL
}

/// Signs CloudFront custom-policy cookies for one resource pattern.
public protocol CDNCookieSigner: Sendable {
    /// The three cookies (`CloudFront-Policy`, `CloudFront-Signature`, `CloudFront-Key-Pair-Id`).
    func cookies(resource: String, expiresAt: UnixSeconds) throws -> [(name: String, value: String)]
}

/// PostgreSQL or the object store could not be reached: 503 with `Retry-After`, so clients
/// and load balancers back off and try again; the service recovers by itself.
public struct DependencyUnavailable: Error, APIErrorConvertible, Sendable {
    public enum Dependency: Sendable { case database, storage }
    public let dependency: Dependency

    public init(_ dependency: Dependency) { self.dependency = dependency }

    public var apiError: APIError {
        switch dependency {
        case .database:
            return APIError(status: 503, code: "database_unavailable",
                            message: "the database is not answering; try again shortly", headers: ["Retry-After": "5"])
        case .storage:
            return APIError(status: 503, code: "storage_unavailable",
                            message: "the object store is not answering; try again shortly", headers: ["Retry-After": "5"])
        }
    }
}
