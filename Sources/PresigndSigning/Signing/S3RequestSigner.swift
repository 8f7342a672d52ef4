import PresigndCrypto
package import PresigndHTTP
package import PresigndSupport

/// Signs the S3 calls presignd makes itself (HeadObject, DeleteObject, multipart uploads,
/// bucket CORS, lifecycle and public-access-block) in the Authorization header, with
/// `x-amz-content-sha256`, using S3's path rules (signed exactly as sent).
package struct S3RequestSigner: Sendable {
    /// SHA-256 of the empty body.
    package static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    package let endpoint: S3Endpoint
    package let signer: SigV4Signer

    package init(endpoint: S3Endpoint, signer: SigV4Signer) {
        self.endpoint = endpoint
        self.signer = signer
    }

    /// Signs a request to `url` (as it will be sent: path percent-encoded, query included).
    /// `headers` are the ones to sign besides Host and the `x-amz-*` the signer adds;
    /// `payloadHash` is the body's hex SHA-256 (`emptyPayloadHash` for none, or `UNSIGNED-PAYLOAD`).
    package func sign(method: String, url: String, headers: HTTPHeaders = HTTPHeaders(), payloadHash: String,
                     at time: UnixSeconds) throws(SigningError) -> HeaderSignedRequest {
        let parsed = try RequestURL(url)
        let query = try CanonicalQuery.parse(parsed.query)
        var all = HTTPHeaders()
        all.add("Host", parsed.hostHeader)
        for field in headers where field.name.lowercased() != "host" { all.add(field.name, field.value) }
        let request = SigV4Request(method: method, path: parsed.path, query: query, headers: all)
        let generic = GenericSigV4Signer(signer: signer, region: endpoint.region, service: "s3", pathRule: .s3)
        guard payloadHash == S3Presigner.unsignedPayload || payloadHash.hasPrefix("STREAMING-")
                || (payloadHash.utf8.count == 64 && Hex.decode(payloadHash) != nil) else {
            throw .invalidHeader("the payload hash must be 64 hex digits, UNSIGNED-PAYLOAD or a STREAMING- marker")
        }
        return try generic.signHeaders(request, payloadHash: payloadHash, at: time, contentSHA256Header: true)
    }

    /// Signs a call on `bucket` (and `key`, when the call is about an object); returns the URL
    /// to send it to along with the signed headers. A query item with an empty value is written
    /// as a bare flag (`?uploads`, `?cors`).
    package func sign(method: String, bucket: String, key: String? = nil, query: [(name: String, value: String)] = [],
                     headers: HTTPHeaders = HTTPHeaders(), payloadHash: String,
                     at time: UnixSeconds) throws(SigningError) -> (url: String, request: HeaderSignedRequest) {
        try S3Validation.validateBucket(bucket)
        if let key { try S3Validation.validateKey(key) }
        let location = endpoint.locate(bucket: bucket, key: key)
        var url = location.origin + location.path
        if !query.isEmpty {
            url += "?" + query.map { item in
                PercentEncoding.encode(item.name) + (item.value.isEmpty ? "" : "=" + PercentEncoding.encode(item.value))
            }.joined(separator: "&")
        }
        return (url, try sign(method: method, url: url, headers: headers, payloadHash: payloadHash, at: time))
    }
}
