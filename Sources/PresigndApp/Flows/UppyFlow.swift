package import PresigndHTTP
import PresigndJWT
import PresigndMetrics
import PresigndSigning
import PresigndSupport
import PresigndUploads

/// Uppy's S3 protocol (`@uppy/aws-s3` talking to a Companion server, read from Companion's
/// `controllers/s3.ts`), served under `config.uppy.prefix`, with presignd's ownership rules:
/// every upload is a row of the same lifecycle as `UploadFlow`'s, every uploadId is checked
/// against the caller's row and key before anything reaches the store, and completion is
/// confirmed by HeadObject. Simple uploads are confirmed by the page: Uppy's `upload-success`
/// reports the key, which `POST /api/uploads/confirm {"key": …}` takes.
///
/// Errors keep the project's shape and add a top-level `message`, which Uppy shows to the
/// user. Uppy retries 5xx and 409 and gives up on other 4xx, which is what these statuses mean.
package struct UppyFlow: Sendable {
    let uploads: UploadFlow
    let bucket: String
    /// An object's plain URL, which `complete` answers as `location` (as S3 and Companion do).
    let objectURL: @Sendable (String) -> String

    package init(uploads: UploadFlow, bucket: String, objectURL: @escaping @Sendable (String) -> String) {
        self.uploads = uploads
        self.bucket = bucket
        self.objectURL = objectURL
    }

    package var routes: [Route<Endpoint>] {
        let uppy = RouteGroup(uploads.config.uppy.prefix, access: .user, scopes: "uploads", renderError: UppyFlow.errorResponse)
        // The literal `batch` comes before `{partNumber}`: the router takes the first match.
        return [
            // A GET that creates an upload and reserves quota: it changes state, so a request
            // authenticated by the cookie alone (a cross-site top-level GET) is refused.
            uppy.route("GET", "/s3/params", changesState: true, params),
            uppy.route("POST", "/s3/multipart", create),
            uppy.route("GET", "/s3/multipart/{uploadId}/batch", signBatch),
            uppy.route("GET", "/s3/multipart/{uploadId}/{partNumber}", signPart),
            uppy.route("GET", "/s3/multipart/{uploadId}", listParts),
            uppy.route("POST", "/s3/multipart/{uploadId}/complete", complete),
            uppy.route("DELETE", "/s3/multipart/{uploadId}", abort),
        ]
    }

    /// `GET s3/params?filename=&type=&metadata[purpose]=` → `{method, url, fields, headers, expires}`.
    func params(_ context: RequestContext) throws -> HTTPResponse {
        let user = try context.requireUser()
        let request = context.request
        let started = try uploads.startSingle(
            user: user, purpose: purpose(request.queryValue("metadata[purpose]")),
            fileName: try required(request.queryValue("filename"), "filename"),
            contentType: request.queryValue("type") ?? "",
            // Uppy finishes a simple upload when it reads the answer's ETag header: a store whose
            // POST answer has none (Ceph RGW) gets a PUT, whose answer does.
            fileSize: nil, method: uploads.config.store.postAnswersETag ? nil : "PUT", context: context)
        var answer = JSONObjectWriter(reserving: 2048)
        answer.string("method", started.method.rawValue)
        answer.string("url", started.url)
        answer.strings("fields", started.fields)
        answer.strings("headers", started.headers)
        answer.value("expires", .int(uploads.config.expiries.upload))
        answer.string("fileId", started.record.id)
        answer.string("key", started.record.objectKey)
        return .json(serialized: answer.finish())
    }

    /// `POST s3/multipart {filename, type, metadata}` → `{key, uploadId, bucket}`.
    func create(_ context: RequestContext) throws -> HTTPResponse {
        let user = try context.requireUser()
        let body = try context.jsonBody()
        let metadata = body.object["metadata"]?.objectValue
        // Uppy sends the browser's `File.type`, which is "" when the browser does not know it.
        let type = body.object["type"]?.stringValue
        let size = metadata?["size"]?.int64Value
        let started = try uploads.startMultipart(
            user: user, purpose: purpose(metadata?["purpose"]?.stringValue),
            fileName: try body.string("filename", maxLength: 1024),
            contentType: type ?? "", fileSize: size.flatMap { $0 > 0 ? $0 : nil },
            context: context)
        return .json(["key": .string(started.record.objectKey), "uploadId": .string(started.record.uploadID ?? ""),
                      "bucket": .string(bucket), "fileId": .string(started.record.id)])
    }

    /// `GET s3/multipart/{uploadId}?key=` → `[{PartNumber, ETag, Size}]`.
    func listParts(_ context: RequestContext) throws -> HTTPResponse {
        let record = try owned(context)
        let parts = try uploads.storedParts(record, uploads.lifecycleRequest(context, try context.requireUser()))
        return .json(.array(parts.map { ["PartNumber": .int(Int64($0.number)), "ETag": .string($0.etag), "Size": .int($0.size)] }))
    }

    /// `GET s3/multipart/{uploadId}/{partNumber}?key=` → `{url, expires}`.
    func signPart(_ context: RequestContext) throws -> HTTPResponse {
        let record = try owned(context)
        guard let number = Int(context.parameter("partNumber")) else {
            throw APIError.badRequest(.invalidPartNumber, "the part number must be a whole number from 1 to \(MultipartPlan.maximumParts)")
        }
        let signed = try uploads.partURLs(record, numbers: [number], now: context.now)
        return .json(["url": .string(signed[0].url.url), "expires": .int(uploads.config.expiries.upload)])
    }

    /// `GET s3/multipart/{uploadId}/batch?key=&partNumbers=1,2,3` → `{presignedUrls: {"1": url, …}}`.
    func signBatch(_ context: RequestContext) throws -> HTTPResponse {
        let record = try owned(context)
        let text = try required(context.request.queryValue("partNumbers"), "partNumbers")
        var numbers: [Int] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let number = Int(item) else {
                throw APIError.badRequest(.invalidPartNumber,
                                          "the parameter \"partNumbers\" must be comma-separated whole numbers such as 1,2,3")
            }
            numbers.append(number)
        }
        let signed = try uploads.partURLs(record, numbers: numbers, now: context.now)
        var urls = JSONObject()
        for part in signed { urls[String(part.number)] = .string(part.url.url) }
        return .json(["presignedUrls": .object(urls)])
    }

    /// `POST s3/multipart/{uploadId}/complete?key=` `{parts: [{PartNumber, ETag}]}` → `{location, key, bucket}`.
    func complete(_ context: RequestContext) throws -> HTTPResponse {
        let user = try context.requireUser()
        let record = try owned(context)
        let parts = try context.jsonBody().parts(numberField: "PartNumber", etagField: "ETag")
        switch try uploads.completeUpload(record, parts: parts, context: context, user: user) {
        case .ready:
            return .json(["location": .string(objectURL(record.objectKey)), "key": .string(record.objectKey), "bucket": .string(bucket),
                          "fileId": .string(record.id), "status": "ready"])
        case .rejected(let reason):
            throw UploadRefusal.rejected(reason: reason)
        case .aborted, .expired, .deleted:
            throw UploadRefusal.notFound
        }
    }

    /// `DELETE s3/multipart/{uploadId}?key=` → `{}` (a JSON body: Uppy fails on an empty 204).
    func abort(_ context: RequestContext) throws -> HTTPResponse {
        let user = try context.requireUser()
        let record = try owned(context)
        _ = try uploads.runner.run(.abortRequested, on: record, uploads.lifecycleRequest(context, user))
        return .json(.object([:]))
    }

    /// The caller's upload for the path's uploadId and the `key` parameter.
    func owned(_ context: RequestContext) throws -> DocumentRecord {
        let user = try context.requireUser()
        let key = try required(context.request.queryValue("key"), "key")
        return try uploads.ownedUpload(uploadID: context.parameter("uploadId"), key: key, user: user)
    }

    func purpose(_ named: String?) -> String {
        guard let named, !named.isEmpty else { return uploads.config.uppy.defaultPurpose }
        return named
    }

    func required(_ value: String?, _ name: String) throws(APIError) -> String {
        guard let value, !value.isEmpty else {
            throw APIError.badRequest(.missingField, "the query parameter \"\(name)\" is required")
        }
        return value
    }
}

extension UppyFlow {
    /// The project's `{"error": {code, message}}` plus the top-level `message` Uppy shows.
    @Sendable static func errorResponse(_ error: APIError, requestID: String?) -> HTTPResponse {
        HTTPResponse.json(["error": error.body(requestID: requestID), "message": .string(error.message)],
                          status: error.status, headers: error.headers)
    }
}
