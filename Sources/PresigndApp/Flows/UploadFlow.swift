package import PresigndHTTP
import PresigndJWT
import PresigndMetrics
import PresigndSigning
import PresigndSupport
import PresigndUploads

/// Uploads: single-request uploads (`presign`, then `confirm`), multipart uploads (create,
/// sign parts, list parts, complete, abort). Every upload is one row of the upload lifecycle;
/// the bytes go from the client to the store, never through presignd.
package struct UploadFlow: Sendable {
    let config: FlowsConfig
    let store: any DocumentStore
    let objects: any ObjectStore
    let signer: any ObjectURLSigner
    /// A fresh UUID per upload (random in production, fixed in tests).
    let newID: @Sendable () -> String

    package init(config: FlowsConfig, store: any DocumentStore, objects: any ObjectStore, signer: any ObjectURLSigner,
                newID: @escaping @Sendable () -> String = DocumentID.random) {
        self.config = config
        self.store = store
        self.objects = objects
        self.signer = signer
        self.newID = newID
    }

    package var routes: [Route<Endpoint>] {
        let uploads = RouteGroup("/api/uploads", access: .user, scopes: "uploads")
        return [
            uploads.route("POST", "/presign") { try presign($0) },
            uploads.route("POST", "/confirm") { try confirm($0) },
            uploads.route("POST", "/multipart") { try createMultipart($0) },
            uploads.route("POST", "/{id}/parts") { try signParts($0) },
            uploads.route("GET", "/{id}/parts") { try listParts($0) },
            uploads.route("POST", "/{id}/resume") { try resume($0) },
            uploads.route("POST", "/{id}/complete") { try complete($0) },
            uploads.route("DELETE", "/{id}") { try abort($0) },
            // What the caller holds, in the uploads group's scope.
            RouteGroup("/api", access: .user, scopes: "uploads").route("GET", "/usage") { try usage($0) },
        ]
    }

    /// `GET /api/usage`: the caller's files and bytes per configured purpose, with its quota
    /// (null where there is no limit).
    func usage(_ context: RequestContext) throws -> HTTPResponse {
        let user = try context.requireUser()
        let used = try store.usage(ownerID: user.id)
        let purposes: [JSONValue] = config.purposes.all.map { purpose in
            let usage = used.first { $0.purpose == purpose.name }
            return .object([
                "purpose": .string(purpose.name),
                "files": .int(usage?.files ?? 0),
                "bytes": .int(usage?.bytes ?? 0),
                "quota": .object([
                    "files": purpose.quota?.maxFiles.map { .int($0) } ?? .null,
                    "bytes": purpose.quota?.maxBytes.map { .int($0) } ?? .null,
                ]),
            ])
        }
        return .json(["purposes": .array(purposes)])
    }

    // MARK: single-request uploads

    func presign(_ context: RequestContext) throws -> HTTPResponse {
        let user = try context.requireUser()
        let body = try context.jsonBody()
        let started = try startSingle(
            user: user, purpose: try body.string("purpose", maxLength: 64), fileName: try body.string("fileName", maxLength: 1024),
            contentType: try body.string("contentType", maxLength: 255, allowingEmpty: true), fileSize: try body.integer("fileSize", in: 0...Int64.max),
            method: try body.optionalString("method", maxLength: 8), checksums: try declaredChecksums(body), context: context)
        // Written member by member (the same bytes as the JSONValue object of these members).
        var answer = JSONObjectWriter(reserving: 2048)
        answer.string("fileId", started.record.id)
        answer.string("key", started.record.objectKey)
        answer.string("method", started.method.rawValue)
        answer.string("url", started.url)
        answer.strings("fields", started.fields)
        answer.strings("headers", started.headers)
        answer.string("expiresAt", UTCDateTime(started.expiresAt).iso8601)
        return .json(serialized: answer.finish())
    }

    /// A signed single-request upload and its pending row.
    struct SingleUpload {
        let record: DocumentRecord
        let method: UploadMethod
        let url: String
        var fields: [(name: String, value: String)] = []
        var headers: [(name: String, value: String)] = []
        let expiresAt: UnixSeconds
    }

    /// The checksums a presign request declares (`checksumSHA256`, `contentMD5`), each checked for shape.
    func declaredChecksums(_ body: JSONBody) throws -> [DeclaredChecksum] {
        try ChecksumAlgorithm.allCases.compactMap { algorithm throws(APIError) in
            try body.optionalString(algorithm.field, maxLength: 64).map { value throws(APIError) in try DeclaredChecksum(algorithm, base64: value) }
        }
    }

    /// Validates, signs and records a single-request upload (`fileSize` nil: see `UploadValidation`).
    /// A declared checksum the store checks is bound into a PUT (the store refuses other bytes).
    func startSingle(user: AuthenticatedUser, purpose: String, fileName: String, contentType: String, fileSize: Int64?,
                     method: String?, checksums: [DeclaredChecksum] = [], context: RequestContext) throws -> SingleUpload {
        let checksum = try DeclaredChecksum.binding(checksums, verified: config.store.checksums, store: config.store.name)
        if checksum != nil && method?.uppercased() == "POST" {
            throw APIError.badRequest(.invalidField, "a checksum is bound into a PUT (a POST form's checksum fields are not checked "
                                      + "by the stores); leave \"method\" out or send PUT")
        }
        if checksum != nil && fileSize == nil {
            throw APIError.badRequest(.invalidField, "a checksum needs the file's exact \"fileSize\"")
        }
        let upload = try UploadValidation.validate(purpose: purpose, fileName: fileName, contentType: contentType,
                                                   fileSize: fileSize, method: checksum == nil ? method : "PUT", purposes: config.purposes)
        let fileID = newID()
        let key = try objectKey(for: upload, user: user, fileID: fileID)
        let disposition = ContentDisposition.header(.attachment, fileName: upload.fileName)
        let expiresIn = config.expiries.upload
        // Sign first (pure), insert second, answer last: if the row is not written, no URL leaves.
        let signed: SingleUpload
        let record = DocumentRecord(id: fileID, ownerID: user.id, objectKey: key, purpose: upload.purpose.name,
                                    fileName: upload.fileName, declaredSize: upload.declaredSize,
                                    declaredType: upload.contentType, status: .initial(multipart: false), createdAt: context.now,
                                    checksum: checksum?.stored)
        if upload.method == .post && config.store.postPolicies {
            let rules = PostUploadRules(key: key, contentType: upload.contentType, contentTypePrefix: upload.purpose.allowedTypePrefix,
                                        maxSize: min(upload.purpose.maxSize, UploadPurposes.largestSingleUpload),
                                        contentDisposition: disposition)
            let post = try signer.presignPost(rules, expiresIn: expiresIn, now: context.now)
            signed = SingleUpload(record: record, method: .post, url: post.url, fields: post.fields, expiresAt: post.expiresAt)
        } else {
            // A PUT signs the exact length whenever the client declared one (every store, with or
            // without POST policies), so the store itself refuses a body of another size.
            let length = fileSize == nil ? nil : upload.declaredSize
            let put = try signer.presignPut(key: key, contentType: upload.contentType, contentLength: length, checksum: checksum,
                                            expiresIn: expiresIn, now: context.now)
            signed = SingleUpload(record: record, method: .put, url: put.url, headers: put.headers, expiresAt: put.expiresAt)
        }
        try store.insert(record, audit: audit(context, user, .uploadPresign, fileID), quota: upload.purpose.quota)
        return signed
    }

    func confirm(_ context: RequestContext) throws -> HTTPResponse {
        let user = try context.requireUser()
        let body = try context.jsonBody()
        let record: DocumentRecord
        if let key = try body.optionalString("key", maxLength: 1024), try body.optionalString("fileId", maxLength: 64) == nil {
            // Uppy reports the object key of a finished upload, not presignd's id.
            record = try ownedUpload(key: key, user: user)
        } else {
            record = try ownedUpload(id: try body.string("fileId", maxLength: 64), user: user)
        }
        return try finished(record, runner.run(.confirmRequested, on: record, lifecycleRequest(context, user)))
    }

    // MARK: multipart uploads

    func createMultipart(_ context: RequestContext) throws -> HTTPResponse {
        let user = try context.requireUser()
        let body = try context.jsonBody()
        let started = try startMultipart(
            user: user, purpose: try body.string("purpose", maxLength: 64), fileName: try body.string("fileName", maxLength: 1024),
            contentType: try body.string("contentType", maxLength: 255, allowingEmpty: true), fileSize: try body.integer("fileSize", in: 0...Int64.max),
            checksumAlgorithm: try partChecksumAlgorithm(body), context: context)
        guard let plan = started.plan else { preconditionFailure("a declared size always has a plan") }
        var answer: JSONObject = [
            "fileId": .string(started.record.id),
            "key": .string(started.record.objectKey),
            "uploadId": .string(started.record.uploadID ?? ""),
            "partSize": .int(plan.partSize),
            "partCount": .int(Int64(plan.partCount)),
            "expiresAt": .string(UTCDateTime(context.now + config.sweepAfter).iso8601),
        ]
        if let algorithm = started.record.boundChecksum?.partAlgorithm {
            answer["checksumAlgorithm"] = .string(algorithm.rawValue)
        }
        return .json(.object(answer))
    }

    /// `checksumAlgorithm` of a multipart create: each part will declare its digest (`SHA256` or
    /// `MD5`), which must be one the store checks on every part.
    func partChecksumAlgorithm(_ body: JSONBody) throws -> ChecksumAlgorithm? {
        guard let name = try body.optionalString("checksumAlgorithm", maxLength: 16) else { return nil }
        guard let algorithm = ChecksumAlgorithm(rawValue: name.uppercased()) else {
            throw APIError.badRequest(.invalidField, "the field \"checksumAlgorithm\" must be SHA256 or MD5")
        }
        guard config.store.partChecksums.contains(algorithm) else {
            throw APIError.badRequest(.checksumNotChecked, "the \(config.store.name) store does not check \(algorithm.rawValue) on parts; "
                                      + "send \(config.store.partChecksums.map(\.rawValue).joined(separator: " or ")) or no \"checksumAlgorithm\"")
        }
        return algorithm
    }

    /// Validates, creates the multipart upload in the store and records it as `uploading`.
    /// With a size, presignd plans the parts (and signs each part's exact length); without one
    /// (Uppy), the client chooses part sizes and completion checks them.
    func startMultipart(user: AuthenticatedUser, purpose: String, fileName: String, contentType: String, fileSize: Int64?,
                        checksumAlgorithm: ChecksumAlgorithm? = nil, context: RequestContext) throws -> (record: DocumentRecord, plan: MultipartPlan?) {
        let upload = try UploadValidation.validate(purpose: purpose, fileName: fileName, contentType: contentType,
                                                   fileSize: fileSize, method: nil, purposes: config.purposes,
                                                   singleRequest: false)
        let plan = try fileSize.map { try MultipartPlan(fileSize: $0, preferredPartSize: config.partSize) }
        let fileID = newID()
        let key = try objectKey(for: upload, user: user, fileID: fileID)
        let uploadID = try objects.createMultipartUpload(key: key, contentType: upload.contentType,
                                                         contentDisposition: ContentDisposition.header(.attachment, fileName: upload.fileName),
                                                         checksumAlgorithm: checksumAlgorithm)
        let record = DocumentRecord(id: fileID, ownerID: user.id, objectKey: key, purpose: upload.purpose.name,
                                    fileName: upload.fileName, declaredSize: upload.declaredSize, declaredType: upload.contentType,
                                    status: .initial(multipart: true), uploadID: uploadID,
                                    partSize: plan?.partSize, createdAt: context.now,
                                    checksum: checksumAlgorithm.map { BoundChecksum.parts($0).stored })
        do {
            try store.insert(record, audit: audit(context, user, .uploadCreate, fileID), quota: upload.purpose.quota)
        } catch {
            // No row points at it: abort it now rather than leave parts for the bucket's lifecycle rule.
            try? objects.abortMultipartUpload(key: key, uploadID: uploadID)
            throw error
        }
        return (record, plan)
    }

    func signParts(_ context: RequestContext) throws -> HTTPResponse {
        let user = try context.requireUser()
        let record = try ownedUpload(id: context.parameter("id"), user: user)
        let body = try context.jsonBody()
        let numbers = try body.integers("partNumbers", in: 1...Int64(MultipartPlan.maximumParts)).map { Int($0) }
        let signed = try partURLs(record, numbers: numbers, checksums: try partChecksums(body), now: context.now)
        return .json([
            "parts": .array(signed.map { part in
                var entry: JSONObject = ["partNumber": .int(Int64(part.number)), "url": .string(part.url.url)]
                if let size = part.size { entry["size"] = .int(size) }
                if !part.url.headers.isEmpty {
                    entry["headers"] = .object(JSONObject(part.url.headers.map { (key: $0.name, value: .string($0.value)) }))
                }
                return .object(entry)
            }),
            "expiresAt": .string(UTCDateTime(signed.first?.url.expiresAt ?? context.now).iso8601),
        ])
    }

    /// Presigned UploadPart URLs for a multipart upload still in progress; with a plan, each
    /// signs its part's exact `Content-Length`; an upload created with a checksum algorithm
    /// signs each part's digest (`checksums`, part number → base64), which every part must have.
    func partURLs(_ record: DocumentRecord, numbers: [Int], checksums: [Int: String] = [:],
                  now: UnixSeconds) throws -> [(number: Int, url: SignedURL, size: Int64?)] {
        let uploadID = try uploadInProgress(record)
        let plan = try plan(of: record)
        if let plan {
            try plan.checkPartNumbers(numbers)
        } else {
            try MultipartPlan.checkFreePartNumbers(numbers)
        }
        let algorithm = record.boundChecksum?.partAlgorithm
        if algorithm == nil && !checksums.isEmpty {
            throw APIError.badRequest(.invalidField, "this upload was created without \"checksumAlgorithm\"; its parts take no \"checksums\"")
        }
        return try numbers.map { number in
            let size = plan?.size(ofPart: number)
            var checksum: DeclaredChecksum?
            if let algorithm {
                guard let value = checksums[number] else {
                    throw APIError.badRequest(.missingField, "part \(number) needs its \(algorithm.rawValue) digest in \"checksums\" "
                                              + "(the upload was created with \"checksumAlgorithm\")")
                }
                do {
                    checksum = try DeclaredChecksum(algorithm, base64: value)
                } catch {
                    throw APIError.badRequest(.invalidField, "the checksum of part \(number) must be the base64 of its "
                                              + "\(algorithm.digestLength)-byte \(algorithm.rawValue) digest")
                }
            }
            let url = try signer.presignUploadPart(key: record.objectKey, uploadID: uploadID, partNumber: number,
                                                   contentLength: size, checksum: checksum, expiresIn: config.expiries.upload, now: now)
            return (number, url, size)
        }
    }

    /// `"checksums": {"1": "<base64 digest>", …}` of a request body, if it has one.
    func partChecksums(_ body: JSONBody) throws -> [Int: String] {
        var checksums: [Int: String] = [:]
        guard let given = body.object["checksums"] else { return checksums }
        guard let object = given.objectValue else {
            throw APIError.badRequest(.invalidField, "the field \"checksums\" must be an object of part number to base64 digest")
        }
        for (name, value) in object.members {
            guard let number = Int(name), let digest = value.stringValue else {
                throw APIError.badRequest(.invalidField, "the field \"checksums\" must map part numbers (\"1\") to base64 digests")
            }
            checksums[number] = digest
        }
        return checksums
    }

    /// `POST /api/uploads/{id}/resume`: what a client that comes back to its multipart upload
    /// (after a reload or a crash: it kept only the fileId) still has to send, by presignd's plan.
    /// The store's ListParts is checked against the plan (`MultipartPlan.resume`): a part of the
    /// wrong size, or (with `checksums`, the client's SHA-256 of each part) of other content, is
    /// missing again. The client then signs the missing parts (`POST …/parts`) and completes as
    /// usual. Another user's upload is a 404 before the store is asked anything.
    func resume(_ context: RequestContext) throws -> HTTPResponse {
        let user = try context.requireUser()
        let record = try ownedUpload(id: context.parameter("id"), user: user)
        let checksums = context.request.body.isEmpty ? [:] : try partChecksums(try context.jsonBody())
        guard let plan = try plan(of: record) else {
            throw APIError.badRequest(.invalidField, "this upload's client chose its part sizes (Uppy); list its parts with GET …/parts")
        }
        let (done, missing) = plan.resume(stored: try storedParts(record, lifecycleRequest(context, user)), checksums: checksums)
        let sent = done.reduce(Int64(0)) { $0 + $1.size }
        return .json([
            "fileId": .string(record.id),
            "fileName": .string(record.fileName),
            "fileSize": .int(record.declaredSize),
            "contentType": .string(record.declaredType),
            "partSize": .int(plan.partSize),
            "partCount": .int(Int64(plan.partCount)),
            "checksumAlgorithm": record.boundChecksum?.partAlgorithm.map { .string($0.rawValue) } ?? .null,
            "parts": .array(done.map { ["partNumber": .int(Int64($0.number)), "etag": .string($0.etag), "size": .int($0.size)] }),
            "missing": .array(missing.map { .int(Int64($0)) }),
            "bytesSent": .int(sent),
            "bytesMissing": .int(record.declaredSize - sent),
        ])
    }

    func listParts(_ context: RequestContext) throws -> HTTPResponse {
        let user = try context.requireUser()
        let record = try ownedUpload(id: context.parameter("id"), user: user)
        let parts = try storedParts(record, lifecycleRequest(context, user))
        return .json(["parts": .array(parts.map { part in
            ["partNumber": .int(Int64(part.number)), "etag": .string(part.etag), "size": .int(part.size)]
        })])
    }

    /// ListParts for an upload still in progress. An upload the store no longer has (aborted by
    /// its lifecycle rule or another client) ends here as aborted: 409 upload_aborted, for good.
    func storedParts(_ record: DocumentRecord, _ request: LifecycleRunner.Request) throws -> [UploadedPartInfo] {
        do {
            return try objects.listParts(key: record.objectKey, uploadID: try uploadInProgress(record))
        } catch let refusal as StoreRefusal where refusal.code == StoreRefusal.uploadGone {
            _ = try runner.run(.storeLostUpload, on: record, request)
            throw UploadRefusal.aborted
        }
    }

    func complete(_ context: RequestContext) throws -> HTTPResponse {
        let user = try context.requireUser()
        let record = try ownedUpload(id: context.parameter("id"), user: user)
        let parts = try context.jsonBody().parts(numberField: "partNumber", etagField: "etag")
        return try finished(record, completeUpload(record, parts: parts, context: context, user: user))
    }

    /// Checks the client's parts against ListParts, then completes through the lifecycle.
    func completeUpload(_ record: DocumentRecord, parts: [(number: Int, etag: String)], context: RequestContext,
                        user: AuthenticatedUser) throws -> UploadOutcome {
        var request = lifecycleRequest(context, user)
        let sha256Parts = record.boundChecksum?.partAlgorithm == .sha256
        if record.status.acceptsParts {
            let stored = try storedParts(record, request)
            let plan = try plan(of: record)
            let maxSize = config.purposes[record.purpose]?.maxSize ?? record.declaredSize
            try MultipartPlan.checkCompletion(parts, stored: stored, plan: plan, maxSize: min(maxSize, record.declaredSize))
            if sha256Parts { request.partChecksums = Self.checksums(of: stored) }
        } else if sha256Parts, let uploadID = record.uploadID,
                  let stored = try? objects.listParts(key: record.objectKey, uploadID: uploadID) {
            // A completion cut short and tried again: the parts' digests, if the upload is still there.
            request.partChecksums = Self.checksums(of: stored)
        }
        request.parts = parts
        return try runner.run(.completeRequested, on: record, request)
    }

    /// Each part's SHA-256 as the store checked it, for CompleteMultipartUpload.
    static func checksums(of parts: [UploadedPartInfo]) -> [Int: String] {
        var checksums: [Int: String] = [:]
        for part in parts { checksums[part.number] = part.checksumSHA256 }
        return checksums
    }

    func abort(_ context: RequestContext) throws -> HTTPResponse {
        let user = try context.requireUser()
        let record = try ownedUpload(id: context.parameter("id"), user: user)
        _ = try runner.run(.abortRequested, on: record, lifecycleRequest(context, user))
        return .json(["fileId": .string(record.id), "status": "aborted"])
    }

    // MARK: shared pieces

    var runner: LifecycleRunner { LifecycleRunner(store: store, objects: objects, purposes: config.purposes) }

    func lifecycleRequest(_ context: RequestContext, _ user: AuthenticatedUser) -> LifecycleRunner.Request {
        LifecycleRunner.Request(actor: user.id, clientAddress: context.request.remoteAddress, now: context.now)
    }

    /// The answer for an upload that finished: 200 with the document, or 422 when it was rejected.
    func finished(_ record: DocumentRecord, _ outcome: UploadOutcome) throws -> HTTPResponse {
        switch outcome {
        case .ready(let size, let contentType):
            return .json(["fileId": .string(record.id), "status": "ready", "size": .int(size), "contentType": .string(contentType)])
        case .rejected(let reason):
            throw UploadRefusal.rejected(reason: reason)
        case .aborted:
            // The store lost a completing upload (its lifecycle rule or another client aborted it).
            throw UploadRefusal.aborted
        case .expired, .deleted:
            throw UploadRefusal.notFound
        }
    }

    /// The part plan presignd made for an upload (its size and part size are in the row); nil
    /// when the client chose the part sizes.
    func plan(of record: DocumentRecord) throws(APIError) -> MultipartPlan? {
        guard let partSize = record.partSize else { return nil }
        return try MultipartPlan(fileSize: record.declaredSize, preferredPartSize: partSize)
    }

    func objectKey(for upload: ValidatedUpload, user: AuthenticatedUser, fileID: String) throws(APIError) -> String {
        guard let segment = UserKeySegment.make(user.id) else {
            throw APIError(status: 403, code: .invalidUser, message: "the token's user id is empty")
        }
        return ObjectKey.make(purpose: upload.purpose, userSegment: segment, fileID: fileID, fileName: upload.fileName)
    }

    /// The caller's upload by presignd's id; someone else's upload and no upload look the same.
    func ownedUpload(id: String, user: AuthenticatedUser) throws -> DocumentRecord {
        guard let record = try findOwnedUpload(id: id, user: user) else {
            throw APIError.notFound("no upload \(DocumentID.isValid(id) ? id : "with that id") of yours")
        }
        return record
    }

    /// The caller's upload by its object key (keys carry the file id: `{prefix}/{user}/{id}…`).
    /// Only "none of yours" is a 404: a store that cannot answer stays a 503, which clients retry.
    func ownedUpload(key: String, user: AuthenticatedUser) throws -> DocumentRecord {
        guard let id = ObjectKey.fileID(in: key), let record = try findOwnedUpload(id: id, user: user), record.objectKey == key else {
            throw APIError.notFound("no upload of yours with that key")
        }
        return record
    }

    /// The caller's visible upload with that id, nil when there is none; throws only when the store fails.
    func findOwnedUpload(id: String, user: AuthenticatedUser) throws -> DocumentRecord? {
        guard DocumentID.isValid(id), let record = try store.document(id: id.lowercased()), record.ownerID == user.id,
              record.status.isVisibleToOwner else { return nil }
        return record
    }

    /// The caller's multipart upload by uploadId, which must belong to `key`: another user's
    /// uploadId, or a key that is not its own, is a 404 and nothing reaches the store.
    func ownedUpload(uploadID: String, key: String, user: AuthenticatedUser) throws -> DocumentRecord {
        guard !uploadID.isEmpty, uploadID.utf8.count <= 1024, let record = try store.document(uploadID: uploadID),
              record.ownerID == user.id, record.objectKey == key, record.status.isVisibleToOwner else {
            throw APIError.notFound("no multipart upload of yours with that uploadId and key")
        }
        return record
    }

    /// The uploadId of an upload that still takes parts; otherwise the lifecycle's refusal.
    func uploadInProgress(_ record: DocumentRecord) throws -> String {
        if let refusal = record.lifecycle.partsRefusal { throw refusal }
        return record.uploadID ?? ""
    }
}

func audit(_ context: RequestContext, _ user: AuthenticatedUser, _ action: AuditAction, _ documentID: String) -> AuditEntry {
    AuditEntry(actor: user.id, action: action, resource: "document:\(documentID)",
               clientAddress: context.request.remoteAddress, at: context.now)
}
