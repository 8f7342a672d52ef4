import PresigndHTTP
package import PresigndMetrics
import PresigndSigning
package import PresigndSupport
import PresigndUploads

/// An `ObjectURLSigner` that counts each signature it makes by kind, around the real signer.
package struct CountingURLSigner: ObjectURLSigner {
    let base: any ObjectURLSigner
    let metrics: Metrics
    let kinds = SeriesCache<String>()

    package init(_ base: any ObjectURLSigner, metrics: Metrics) {
        self.base = base
        self.metrics = metrics
    }

    func counted<T>(_ kind: String, _ sign: () throws -> T) rethrows -> T {
        let signed = try sign()
        kinds.series(kind) { metrics.series(Metrics.Families.signatures, [("kind", kind)]) }.add(1)
        return signed
    }

    package func presignPost(_ rules: PostUploadRules, expiresIn: Int64, now: UnixSeconds) throws -> UploadForm {
        try counted("post_policy") { try base.presignPost(rules, expiresIn: expiresIn, now: now) }
    }

    package func presignPut(key: String, contentType: String, contentLength: Int64?, expiresIn: Int64, now: UnixSeconds) throws -> SignedURL {
        try counted("put_url") {
            try base.presignPut(key: key, contentType: contentType, contentLength: contentLength, expiresIn: expiresIn, now: now)
        }
    }

    package func presignUploadPart(key: String, uploadID: String, partNumber: Int, contentLength: Int64?,
                                  expiresIn: Int64, now: UnixSeconds) throws -> SignedURL {
        try counted("upload_part_url") {
            try base.presignUploadPart(key: key, uploadID: uploadID, partNumber: partNumber, contentLength: contentLength,
                                       expiresIn: expiresIn, now: now)
        }
    }

    package func presignGet(key: String, responseContentDisposition: String?, responseContentType: String?,
                           expiresIn: Int64, now: UnixSeconds) throws -> SignedURL {
        try counted("get_url") {
            try base.presignGet(key: key, responseContentDisposition: responseContentDisposition,
                                responseContentType: responseContentType, expiresIn: expiresIn, now: now)
        }
    }
}

/// A `CDNCookieSigner` that counts the cookie sets it signs.
package struct CountingCookieSigner: CDNCookieSigner {
    let base: any CDNCookieSigner
    let metrics: Metrics
    let signatures = SeriesCache<String>()

    package init(_ base: any CDNCookieSigner, metrics: Metrics) {
        self.base = base
        self.metrics = metrics
    }

    package func cookies(resource: String, expiresAt: UnixSeconds) throws -> [(name: String, value: String)] {
        let cookies = try base.cookies(resource: resource, expiresAt: expiresAt)
        signatures.series("cloudfront_cookies") { metrics.series(Metrics.Families.signatures, [("kind", "cloudfront_cookies")]) }.add(1)
        return cookies
    }
}
