import PresigndCrypto
import PresigndHTTP
import PresigndJWT
import PresigndMetrics
import PresigndSigning
import PresigndSupport
import PresigndUploads

let presignUsage = """
    usage: presignd presign get|put|post|head|delete s3://BUCKET/KEY [options]
      --region R            signing region (default: AWS_REGION, AWS_DEFAULT_REGION, us-east-1)
      --endpoint URL        S3-compatible endpoint (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS)
      --path-style          path-style addressing (--addressing virtual|path|auto)
      --expires SECONDS     1…604800 (default 3600)
      --content-type T      PUT/POST: the Content-Type the upload must have
      --disposition D       GET: response-content-disposition; PUT/POST: Content-Disposition
      --response-content-type T   GET: response-content-type
      --meta NAME=VALUE     PUT/POST: x-amz-meta-NAME (repeatable)
      --checksum-sha256 B64 --content-md5 B64   PUT: integrity headers the client must send
      --part-number N --upload-id ID            PUT: presign UploadPart
      --version-id ID       GET/HEAD/DELETE: a specific version
      --min-size N --max-size N                 POST: content-length-range
      --content-type-prefix P                   POST: Content-Type must start with P
      --success-status 200|201|204              POST: success_action_status
      --at 20260314T150926Z signing time (for reproducible output)
      --json                GET/PUT/HEAD/DELETE: print url, headers to send and expiry as JSON
    The URL (POST: JSON with url and fields) goes to stdout; credentials come from the environment
    (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, AWS_CREDENTIAL_EXPIRATION).

    """

/// `presignd presign …`: signs one S3 request like `aws s3 presign`, for operators and tests.
enum PresignCommand: Command {
    static func run(_ arguments: [String], environment env: Environment) -> Int32 {
        reportingErrors(usage: presignUsage) {
            let options = try CommandOptions(
                arguments[...],
                valueOptions: ["region", "endpoint", "addressing", "expires", "content-type", "disposition", "response-content-type", "meta",
                               "checksum-sha256", "content-md5", "part-number", "upload-id", "version-id", "min-size", "max-size",
                               "content-type-prefix", "success-status", "at"],
                flagOptions: ["path-style", "json", "help"])
            if options.flag("help") {
                writeOut(presignUsage)
                return 0
            }
            guard options.positional.count == 2 else { throw UsageError("expected an operation and s3://BUCKET/KEY") }
            let operation = options.positional[0]
            let (bucket, key) = try parseS3URI(options.positional[1])
            // The same resolution as serve's (PRESIGND_S3_ADDRESSING, path style with a custom
            // endpoint), with the flags on top.
            var overrides = S3Config.Overrides(region: options.value("region"), endpointURL: options.value("endpoint"))
            if let text = options.value("addressing") {
                guard let style = S3AddressingStyle(rawValue: text) else { throw UsageError("--addressing must be virtual, path or auto") }
                overrides.addressing = style
            }
            if options.flag("path-style") { overrides.addressing = .path }
            let s3 = try S3Config.from(env, requireBucket: false, overrides: overrides)
            let endpoint = s3.endpoint
            let signer = SigV4Signer(credentials: s3.credentials)
            let expires = try options.integer("expires") ?? 3600
            let time = try options.time()

            if operation == "post" {
                writeOut(try presignPost(options, endpoint: endpoint, signer: signer, bucket: bucket, key: key, expires: expires, at: time) + "\n")
                return 0
            }
            let methods = ["get": "GET", "put": "PUT", "head": "HEAD", "delete": "DELETE"]
            guard let method = methods[operation] else { throw UsageError("the operation must be get, put, post, head or delete") }
            var request = S3PresignRequest(method: method, bucket: bucket, key: key, expires: expires)
            if method == "PUT" {
                if let type = options.value("content-type") { request.headers.add("Content-Type", type) }
                if let disposition = options.value("disposition") { request.headers.add("Content-Disposition", disposition) }
                if let md5 = options.value("content-md5") { request.headers.add(ChecksumAlgorithm.md5.header, md5) }
                if let checksum = options.value("checksum-sha256") { request.headers.add(ChecksumAlgorithm.sha256.header, checksum) }
                for (name, value) in try metadata(options) { request.headers.add("x-amz-meta-" + name, value) }
                if let part = try options.integer("part-number") {
                    guard (1...10_000).contains(part), let upload = options.value("upload-id") else {
                        throw UsageError("--part-number must be 1…10000 and needs --upload-id")
                    }
                    request.query = [("partNumber", String(part)), ("uploadId", upload)]
                }
            } else {
                if method == "GET", let disposition = options.value("disposition") { request.query.append(("response-content-disposition", disposition)) }
                if method == "GET", let type = options.value("response-content-type") { request.query.append(("response-content-type", type)) }
                if let version = options.value("version-id") { request.query.append(("versionId", version)) }
            }
            let signed = try S3Presigner(endpoint: endpoint, signer: signer).presign(request, at: time)
            if signed.clampedByCredentials {
                writeOut("presignd: note: the URL expires after \(signed.expiresIn) s, when the signing credentials expire\n", to: 2)
            }
            if options.flag("json") {
                var headers = JSONObject()
                for field in signed.headers { headers[field.name] = .string(field.value) }
                let document: JSONValue = .object(JSONObject([
                    (key: "method", value: .string(signed.method)), (key: "url", value: .string(signed.url)),
                    (key: "headers", value: .object(headers)), (key: "expiresAt", value: .string(UTCDateTime(signed.expiresAt).iso8601)),
                    (key: "clampedByCredentials", value: .bool(signed.clampedByCredentials)),
                ]))
                writeOut(document.serialized() + "\n")
            } else {
                writeOut(signed.url + "\n")
                for field in signed.headers { writeOut("presignd: note: the client must send \(field.name): \(field.value)\n", to: 2) }
            }
            return 0
        }
    }
}

/// `s3://bucket/key` → (bucket, key); the key keeps every character after the first `/`.
func parseS3URI(_ text: String) throws(UsageError) -> (String, String) {
    guard text.hasPrefix("s3://") else { throw UsageError("the object must be written s3://BUCKET/KEY") }
    let rest = text.dropFirst(5)
    guard let slash = rest.firstIndex(of: "/") else { throw UsageError("the object must be written s3://BUCKET/KEY (no key given)") }
    return (String(rest[..<slash]), String(rest[rest.index(after: slash)...]))
}

func metadata(_ options: CommandOptions) throws(UsageError) -> [(String, String)] {
    try options.all("meta").map { (item: String) throws(UsageError) -> (String, String) in
        guard let equals = item.firstIndex(of: "="), equals != item.startIndex else { throw UsageError("--meta must be NAME=VALUE") }
        return (String(item[..<equals]).lowercased(), String(item[item.index(after: equals)...]))
    }
}

func presignPost(_ options: CommandOptions, endpoint: S3Endpoint, signer: SigV4Signer, bucket: String, key: String,
                 expires: Int, at time: UnixSeconds) throws -> String {
    var policy = PostPolicy(bucket: bucket, key: key, expires: expires)
    if let prefix = options.value("content-type-prefix") {
        policy.contentType(startingWith: prefix, initial: options.value("content-type") ?? prefix)
    } else if let type = options.value("content-type") {
        policy.contentType(type)
    }
    if let disposition = options.value("disposition") { policy.contentDisposition(disposition) }
    if let status = try options.integer("success-status") { policy.successActionStatus(status) }
    for (name, value) in try metadata(options) { policy.metadata(name, value) }
    let minimum = try options.integer("min-size"), maximum = try options.integer("max-size")
    if minimum != nil || maximum != nil {
        policy.condition(.contentLengthRange(Int64(minimum ?? 0), Int64(maximum ?? 5 * 1024 * 1024 * 1024)))
    }
    let form = try S3PostSigner(endpoint: endpoint, signer: signer).sign(policy, at: time)
    if form.clampedByCredentials {
        writeOut("presignd: note: the form expires after \(form.expiresIn) s, when the signing credentials expire\n", to: 2)
    }
    var fields = JSONObject()
    for field in form.fields { fields[field.name] = .string(field.value) }
    return JSONValue.object(JSONObject([
        (key: "url", value: .string(form.url)), (key: "fields", value: .object(fields)),
        (key: "expiresAt", value: .string(UTCDateTime(form.expiresAt).iso8601)),
    ])).serialized()
}
