import PresigndCore

/// `POST /api/uploads/presign` and `POST /api/uploads/confirm`: sign an upload for a pending
/// row, then check with HeadObject what actually arrived.
public struct UploadFlow: Sendable {
    let config: FlowsConfig
    let store: any DocumentStore
    let objects: any ObjectStore
    let signer: any ObjectURLSigner
    /// A fresh UUID per upload (random in production, fixed in tests).
    let newID: @Sendable () -> String

    public init(config: FlowsConfig, store: any DocumentStore, objects: any ObjectStore, signer: any ObjectURLSigner,
                newID: @escaping @Sendable () -> String) {
        self.config = config
        self.store = store
        self.objects = objects
        self.signer = signer
        self.newID = newID
    }

    public var routes: [Route<Endpoint>] {
        [
            Route("POST", "/api/uploads/presign", access: .user, handler: Endpoint(group: "uploads") { try presign($0) }),
            Route("POST", "/api/uploads/confirm", access: .user, handler: Endpoint(group: "uploads") { try confirm($0) }),
        ]
    }

    func presign(_ context: RequestContext) throws -> HTTPResponse {
        let user = try context.requireUser()
        let body = try context.jsonBody()
        let upload = try UploadValidation.validate(
            purpose: try body.string("purpose", maxLength: 64),
            fileName: try body.string("fileName", maxLength: 1024),
            contentType: try body.string("contentType", maxLength: 255),
            fileSize: try body.integer("fileSize", in: 0...Int64.max),
            method: try body.optionalString("method", maxLength: 8),
            purposes: config.purposes)
        guard let segment = UserKeySegment.make(user.id) else {
            throw APIError(status: 403, code: "invalid_user", message: "the token's user id is empty")
        }
        let fileID = newID()
        let key = ObjectKey.make(purpose: upload.purpose, userSegment: segment, fileID: fileID, fileName: upload.fileName)
        let expiresIn = config.expiries.upload

        // Sign first (pure), insert second, answer last: if the row is not written, no URL leaves.
        var fields: JSONObject = [:]
        var headers: JSONObject = [:]
        let url: String
        let expiresAt: UnixSeconds
        switch upload.method {
        case .post:
            let rules = PostUploadRules(key: key, contentType: upload.contentType, contentTypePrefix: upload.purpose.allowedTypePrefix,
                                        maxSize: upload.purpose.maxSize,
                                        contentDisposition: ContentDisposition.header(.attachment, fileName: upload.fileName))
            let post = try signer.presignPost(rules, expiresIn: expiresIn, now: context.now)
            url = post.url
            expiresAt = post.expiresAt
            for field in post.fields { fields[field.name] = .string(field.value) }
        case .put:
            let put = try signer.presignPut(key: key, contentType: upload.contentType, expiresIn: expiresIn, now: context.now)
            url = put.url
            expiresAt = put.expiresAt
            for header in put.headers { headers[header.name] = .string(header.value) }
        }
        let record = DocumentRecord(id: fileID, ownerID: user.id, objectKey: key, purpose: upload.purpose.name,
                                    fileName: upload.fileName, declaredSize: upload.declaredSize,
                                    declaredType: upload.contentType, status: .pending, createdAt: context.now)
        try store.insertPending(record, audit: audit(context, user, "upload.presign", fileID))
        return .json([
            "fileId": .string(fileID),
            "key": .string(key),
            "method": .string(upload.method.rawValue),
            "url": .string(url),
            "fields": .object(fields),
            "headers": .object(headers),
            "expiresAt": .string(UTCDateTime(expiresAt).iso8601),
        ])
    }

    func confirm(_ context: RequestContext) throws -> HTTPResponse {
        let user = try context.requireUser()
        let fileID = try context.jsonBody().string("fileId", maxLength: 64)
        // Someone else's upload and no upload at all look the same.
        guard UUIDv4.isValid(fileID), let record = try store.document(id: fileID.lowercased()), record.ownerID == user.id else {
            throw APIError.notFound("no upload \(UUIDv4.isValid(fileID) ? fileID : "with that id") of yours")
        }
        switch record.status {
        case .ready:
            return confirmed(record.id, size: record.actualSize ?? 0, contentType: record.actualType ?? "")
        case .rejected:
            throw rejected(record.rejection ?? "the upload was rejected")
        case .pending:
            break
        }
        guard let purpose = config.purposes[record.purpose] else {
            throw rejected("the purpose \(record.purpose) is no longer configured")
        }
        let head = try objects.head(key: record.objectKey)
        switch ConfirmDecision.decide(head: head, purpose: purpose, declaredSize: record.declaredSize, declaredType: record.declaredType) {
        case .notUploaded:
            throw APIError(status: 409, code: "upload_incomplete",
                           message: "the file is not in storage yet; finish the upload, then confirm again")
        case .ready(let size, let contentType):
            _ = try store.markReady(id: record.id, size: size, contentType: contentType,
                                    audit: audit(context, user, "upload.confirm", record.id))
            return confirmed(record.id, size: size, contentType: contentType)
        case .rejected(let reason):
            // Delete first: if that fails the row stays pending and a later confirm tries again.
            try objects.delete(key: record.objectKey)
            try store.markRejected(id: record.id, reason: reason, audit: audit(context, user, "upload.reject", record.id))
            throw rejected(reason)
        }
    }

    func confirmed(_ id: String, size: Int64, contentType: String) -> HTTPResponse {
        .json(["fileId": .string(id), "status": "ready", "size": .int(size), "contentType": .string(contentType)])
    }

    func rejected(_ reason: String) -> APIError {
        APIError(status: 422, code: "upload_rejected", message: "\(reason); the object was deleted, upload again")
    }
}

func audit(_ context: RequestContext, _ user: AuthenticatedUser, _ action: String, _ documentID: String) -> AuditEntry {
    AuditEntry(actor: user.id, action: action, resource: "document:\(documentID)",
               clientAddress: context.request.remoteAddress, at: context.now)
}
