import PresigndCrypto
package import PresigndHTTP
package import PresigndSupport

/// What to presign: an S3 call the holder of the URL may make once, until it expires.
package struct S3PresignRequest: Sendable {
    package var method: String
    package var bucket: String
    package var key: String
    /// Seconds, 1…604800.
    package var expires: Int
    /// Headers the client must send with exactly these values (Content-Type, Content-MD5,
    /// x-amz-checksum-sha256, x-amz-meta-*, …); they are signed.
    package var headers: HTTPHeaders
    /// Extra query parameters, decoded, in URL order: response-content-disposition,
    /// response-content-type, versionId, partNumber, uploadId, `uploads` (empty value), ….
    package var query: [(name: String, value: String)]

    package init(method: String, bucket: String, key: String, expires: Int,
                headers: HTTPHeaders = HTTPHeaders(), query: [(name: String, value: String)] = []) {
        self.method = method
        self.bucket = bucket
        self.key = key
        self.expires = expires
        self.headers = headers
        self.query = query
    }
}

/// A presigned URL and what the client must do to use it.
package struct PresignedURL: Sendable {
    package let method: String
    package let url: String
    /// Signed headers other than Host, lower-case names, which the client must send as given.
    package let headers: HTTPHeaders
    /// The lifetime actually signed, after any clamp to the credentials' expiry.
    package let expiresIn: Int
    package let expiresAt: UnixSeconds
    /// True when the credentials expire before the requested lifetime ends.
    package let clampedByCredentials: Bool
    package let signature: SigV4Signature
}

/// Presigns S3 requests (SigV4 in the query, `UNSIGNED-PAYLOAD`), byte for byte as the AWS SDKs do.
package struct S3Presigner: Sendable {
    package static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// Headers the signer owns; a caller may not set them.
    static let reservedHeaders: Set<String> = ["host", "authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"]

    package let endpoint: S3Endpoint
    package let signer: SigV4Signer

    package init(endpoint: S3Endpoint, signer: SigV4Signer) {
        self.endpoint = endpoint
        self.signer = signer
    }

    package init(endpoint: S3Endpoint, credentials: AWSCredentials) {
        self.init(endpoint: endpoint, signer: SigV4Signer(credentials: credentials))
    }

    /// Signs `request` at `time`; the URL is valid from `time` for `expiresIn` seconds.
    package func presign(_ request: S3PresignRequest, at time: UnixSeconds) throws(SigningError) -> PresignedURL {
        switch request.method {
        case "GET", "PUT", "HEAD", "DELETE", "POST": break
        default: throw .invalidMethod("a presigned S3 URL must be for GET, PUT, HEAD, DELETE or POST")
        }
        try S3Validation.validateBucket(request.bucket)
        try S3Validation.validateKey(request.key)
        if !request.query.isEmpty { try SigV4Request.refuseAuthParameters(request.query) }
        let lifetime = try SigningLifetime(requested: request.expires, at: time, credentials: signer.credentials)

        let location = endpoint.locate(bucket: request.bucket, key: request.key)
        let headers: CanonicalHeaders
        var toSend = HTTPHeaders()
        if request.headers.fields.isEmpty {
            headers = try CanonicalHeaders(host: location.hostHeader)
        } else {
            for field in request.headers where S3Presigner.reservedHeaders.contains(field.name.lowercased()) {
                throw .invalidHeader("the header \(field.name) is set by the signer; remove it")
            }
            let clientHeaders = try CanonicalHeaders(request.headers)
            for entry in clientHeaders.entries { toSend.add(entry.name, entry.value) }
            headers = try clientHeaders.adding(host: location.hostHeader)
        }

        let date = SigV4Time(time)
        let scope = SigV4Scope(date: date.dateStamp, region: endpoint.region, service: "s3")
        let signed = signer.signQuery(
            method: request.method, canonicalPath: location.path, urlPrefix: location.origin, extra: request.query, headers: headers,
            payloadHash: S3Presigner.unsignedPayload, scope: scope, time: date, expires: lifetime.seconds)
        return PresignedURL(
            method: request.method, url: signed.url, headers: toSend,
            expiresIn: lifetime.seconds, expiresAt: lifetime.expiresAt, clampedByCredentials: lifetime.clampedByCredentials,
            signature: signed.signature)
    }
}
