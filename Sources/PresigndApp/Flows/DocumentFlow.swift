package import PresigndHTTP
import PresigndJWT
import PresigndMetrics
import PresigndSigning
import PresigndSupport
import PresigndUploads

/// Listing, downloading, sharing and deleting documents. Anything the caller may not see is
/// a 404 exactly like a document that does not exist, so ids reveal nothing.
package struct DocumentFlow: Sendable {
    let config: FlowsConfig
    let store: any DocumentStore
    let objects: any ObjectStore
    let signer: any ObjectURLSigner

    package init(config: FlowsConfig, store: any DocumentStore, objects: any ObjectStore, signer: any ObjectURLSigner) {
        self.config = config
        self.store = store
        self.objects = objects
        self.signer = signer
    }

    package var routes: [Route<Endpoint>] {
        let documents = RouteGroup("/api/documents", access: .user, scopes: "documents")
        return [
            documents.route("GET", "") { try list($0) },
            documents.route("GET", "/{id}/download") { try download($0) },
            documents.route("POST", "/{id}/shares") { try share($0) },
            documents.route("DELETE", "/{id}/shares/{userId}") { try unshare($0) },
            documents.route("DELETE", "/{id}") { try delete($0) },
        ]
    }

    static let defaultPageSize = 50
    static let maxPageSize = 100

    func list(_ context: RequestContext) throws -> HTTPResponse {
        let user = try context.requireUser()
        var limit = DocumentFlow.defaultPageSize
        if let text = context.request.queryValue("limit") {
            guard let value = Int(text), (1...DocumentFlow.maxPageSize).contains(value) else {
                throw APIError.badRequest(.invalidField, "the parameter \"limit\" must be a whole number from 1 to \(DocumentFlow.maxPageSize)")
            }
            limit = value
        }
        var cursor: DocumentCursor? = nil
        if let text = context.request.queryValue("cursor") {
            guard let decoded = DocumentCursor.decode(text) else {
                throw APIError.badRequest(.invalidField, "the parameter \"cursor\" is not one this server issued; start from the first page")
            }
            cursor = decoded
        }
        // One extra row tells whether another page follows.
        let rows = try store.listAccessible(userID: user.id, after: cursor, limit: limit + 1)
        let page = rows.prefix(limit)
        var body: JSONObject = ["documents": .array(page.map { describe($0, for: user) })]
        if rows.count > limit, let last = page.last {
            body["nextCursor"] = .string(DocumentCursor(createdAt: last.createdAt, id: last.id).encoded)
        } else {
            body["nextCursor"] = .null
        }
        return .json(.object(body))
    }

    func describe(_ record: DocumentRecord, for user: AuthenticatedUser) -> JSONValue {
        [
            "id": .string(record.id),
            "key": .string(record.objectKey),
            "fileName": .string(record.fileName),
            "purpose": .string(record.purpose),
            "size": .int(record.actualSize ?? record.declaredSize),
            "contentType": .string(record.actualType ?? record.declaredType),
            "owned": .bool(record.ownerID == user.id),
            "createdAt": .string(UTCDateTime(record.createdAt).iso8601),
        ]
    }

    func download(_ context: RequestContext) throws -> HTTPResponse {
        let user = try context.requireUser()
        let kind: ContentDisposition.Kind
        switch context.request.queryValue("disposition") {
        case nil, "attachment": kind = .attachment
        case "inline": kind = .inline
        default: throw APIError.badRequest(.invalidField, "the parameter \"disposition\" must be attachment or inline")
        }
        let id = try documentID(context)
        guard let record = try store.openForDownload(id: id, userID: user.id, audit: audit(context, user, .documentDownload, id)) else {
            throw APIError.notFound("no document \(id) for you")
        }
        let expiresIn = config.expiries.download
        let contentType = record.actualType ?? record.declaredType
        let disposition = ContentDisposition.header(ContentDisposition.allowedKind(kind, contentType: contentType),
                                                    fileName: record.fileName)
        let signed = try signer.presignGet(key: record.objectKey,
                                        responseContentDisposition: disposition,
                                        responseContentType: contentType,
                                        expiresIn: expiresIn, now: context.now)
        return .json([
            "url": .string(signed.url),
            "expiresAt": .string(UTCDateTime(signed.expiresAt).iso8601),
            "fileName": .string(record.fileName),
        ])
    }

    func share(_ context: RequestContext) throws -> HTTPResponse {
        let user = try context.requireUser()
        let id = try documentID(context)
        let target = try context.jsonBody().string("userId", maxLength: AuthenticatedUser.maxIDBytes)
        try DocumentFlow.checkUserID(target)
        if target == user.id {
            // Someone else's document stays a 404 whoever it is "shared" with.
            _ = try ownedDocument(id, by: user)
            throw APIError.badRequest(.invalidField, "the field \"userId\" names you; share with another user")
        }
        // One statement checks ownership and readiness and locks the row, so a racing delete
        // makes this a 404, never a half-written share.
        guard try store.share(documentID: id, ownerID: user.id, with: target, audit: audit(context, user, .documentShare, id)) else {
            throw APIError.notFound("no document \(id) for you")
        }
        return .json(["documentId": .string(id), "userId": .string(target)], status: 201)
    }

    func unshare(_ context: RequestContext) throws -> HTTPResponse {
        let user = try context.requireUser()
        let id = try documentID(context)
        let target = context.parameter("userId")
        try DocumentFlow.checkUserID(target)
        guard try store.unshare(documentID: id, ownerID: user.id, from: target, audit: audit(context, user, .documentUnshare, id)) else {
            throw APIError.notFound("document \(id) of yours is not shared with that user")
        }
        return HTTPResponse(status: 204)
    }

    func delete(_ context: RequestContext) throws -> HTTPResponse {
        let user = try context.requireUser()
        let id = try documentID(context)
        let record = try ownedDocument(id, by: user)
        // The lifecycle claims the row (`deleting`, one audit row: concurrent deletes find it
        // claimed and answer 404), removes the object or multipart upload, then the row. If the
        // store fails in between, the row stays `deleting`, hidden, and the sweeper finishes it.
        let runner = LifecycleRunner(store: store, objects: objects, purposes: config.purposes)
        _ = try runner.run(.deleteRequested, on: record,
                           LifecycleRunner.Request(actor: user.id, clientAddress: context.request.remoteAddress, now: context.now))
        return HTTPResponse(status: 204)
    }

    /// A user id to share with or unshare from must be one a token could carry.
    static func checkUserID(_ id: String) throws(APIError) {
        guard AuthenticatedUser.isValidID(id) else {
            throw APIError.badRequest(.invalidField,
                                      "the field \"userId\" must be 1 to \(AuthenticatedUser.maxIDBytes) bytes without control or invisible formatting characters")
        }
    }

    /// The path's id, lower-cased; anything not shaped like a UUID cannot exist.
    func documentID(_ context: RequestContext) throws(APIError) -> String {
        let id = context.parameter("id")
        guard DocumentID.isValid(id) else { throw APIError.notFound("no such document") }
        return id.lowercased()
    }

    func ownedDocument(_ id: String, by user: AuthenticatedUser) throws -> DocumentRecord {
        guard let record = try store.document(id: id), record.ownerID == user.id, record.status.isVisibleToOwner else {
            throw APIError.notFound("no document \(id) for you")
        }
        return record
    }
}
