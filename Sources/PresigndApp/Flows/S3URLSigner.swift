import PresigndHTTP
import PresigndMetrics
package import PresigndSigning
package import PresigndSupport
import PresigndUploads

/// The flows' signing port on the signing module, called by the flows directly (no adapter in between): presigned POST forms, PUT and GET
/// URLs for one bucket, UploadPart URLs, and the header signer for the store's own calls.
package struct S3URLSigner: ObjectURLSigner {
    package let bucket: String
    let endpoint: S3Endpoint
    let presigner: S3Presigner
    let postSigner: S3PostSigner
    /// Header-signs the store calls presignd makes itself (`S3ObjectStore`).
    package let requestSigner: S3RequestSigner

    package init(bucket: String, endpoint: S3Endpoint, credentials: AWSCredentials) {
        let signer = SigV4Signer(credentials: credentials)
        self.bucket = bucket
        self.endpoint = endpoint
        presigner = S3Presigner(endpoint: endpoint, signer: signer)
        postSigner = S3PostSigner(endpoint: endpoint, signer: signer)
        requestSigner = S3RequestSigner(endpoint: endpoint, signer: signer)
    }

    /// An object's plain URL in the bucket (not signed: it opens nothing by itself).
    package func objectURL(key: String) -> String { endpoint.objectURL(bucket: bucket, key: key) }

    /// The seed's policy: size 1…maxSize, the exact key, the type's prefix (any type still
    /// needs a `starts-with` so S3 accepts the field), and the Content-Disposition field.
    package func presignPost(_ rules: PostUploadRules, expiresIn: Int64, now: UnixSeconds) throws -> UploadForm {
        var policy = PostPolicy(bucket: bucket, key: rules.key, expires: Int(expiresIn))
        policy.contentLength(1...rules.maxSize)
        policy.contentType(startingWith: rules.contentTypePrefix, initial: rules.contentType)
        policy.contentDisposition(rules.contentDisposition)
        let post = try postSigner.sign(policy, at: now)
        return UploadForm(url: post.url, fields: post.fields, expiresAt: post.expiresAt)
    }

    package func presignPut(key: String, contentType: String, contentLength: Int64?, checksum: DeclaredChecksum?,
                            expiresIn: Int64, now: UnixSeconds) throws -> SignedURL {
        var headers: HTTPHeaders = ["Content-Type": contentType]
        if let contentLength { headers.add("Content-Length", String(contentLength)) }
        // A signed header, never a query parameter (AWS ignores a checksum in PutObject's query).
        if let checksum { headers.add(checksum.algorithm.header, checksum.value) }
        let signed = try presigner.presign(
            S3PresignRequest(method: "PUT", bucket: bucket, key: key, expires: Int(expiresIn), headers: headers), at: now)
        return SignedURL(url: signed.url, headers: browserHeaders(signed.headers), expiresAt: signed.expiresAt)
    }

    package func presignUploadPart(key: String, uploadID: String, partNumber: Int, contentLength: Int64?, checksum: DeclaredChecksum?,
                                  expiresIn: Int64, now: UnixSeconds) throws -> SignedURL {
        var headers = HTTPHeaders()
        if let contentLength { headers.add("Content-Length", String(contentLength)) }
        if let checksum { headers.add(checksum.algorithm.header, checksum.value) }
        let signed = try presigner.presign(
            S3PresignRequest(method: "PUT", bucket: bucket, key: key, expires: Int(expiresIn), headers: headers,
                             query: [("partNumber", String(partNumber)), ("uploadId", uploadID)]), at: now)
        return SignedURL(url: signed.url, headers: browserHeaders(signed.headers), expiresAt: signed.expiresAt)
    }

    /// The client must send the signed headers exactly; name them as browsers write them.
    func browserHeaders(_ headers: HTTPHeaders) -> [(name: String, value: String)] {
        headers.map { field in
            switch field.name.lowercased() {
            case "content-type": return (name: "Content-Type", value: field.value)
            case "content-length": return (name: "Content-Length", value: field.value)
            case "content-md5": return (name: "Content-MD5", value: field.value)
            default: return (name: field.name, value: field.value)
            }
        }
    }

    package func presignGet(key: String, responseContentDisposition: String?, responseContentType: String?,
                    expiresIn: Int64, now: UnixSeconds) throws -> SignedURL {
        var query: [(name: String, value: String)] = []
        if let responseContentDisposition { query.append(("response-content-disposition", responseContentDisposition)) }
        if let responseContentType { query.append(("response-content-type", responseContentType)) }
        let signed = try presigner.presign(
            S3PresignRequest(method: "GET", bucket: bucket, key: key, expires: Int(expiresIn), query: query), at: now)
        return SignedURL(url: signed.url, expiresAt: signed.expiresAt)
    }

    package func signGet(key: String, now: UnixSeconds) throws -> SignedURL {
        let signed = try requestSigner.sign(method: "GET", bucket: bucket, key: key, payloadHash: S3Presigner.unsignedPayload, at: now)
        // Host is the URL's: nginx sends it so.
        let headers = signed.request.headers.filter { $0.name.lowercased() != "host" }.map { (name: $0.name, value: $0.value) }
        return SignedURL(url: signed.url, headers: headers, expiresAt: now + 900)
    }
}

/// CloudFront custom-policy cookies for the configured resource pattern.
package struct CloudFrontCookieSigner: CDNCookieSigner {
    let signer: CloudFrontSigner

    package init(signer: CloudFrontSigner) { self.signer = signer }

    package func cookies(resource: String, expiresAt: UnixSeconds) throws -> [(name: String, value: String)] {
        try signer.cookies(policy: .custom(resource: resource, dateLessThan: expiresAt))
    }
}
