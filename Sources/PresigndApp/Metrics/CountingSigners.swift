import PresigndHTTP
package import PresigndMetrics
import PresigndSigning
package import PresigndSupport
import PresigndUploads

/// Counts the signatures made, by kind, in `presignd_signatures_total`.
struct SignatureCounter: Sendable {
    let metrics: Metrics
    let kinds = SeriesCache<String>()

    /// What `sign` answers, counted under `kind` when it did not throw.
    func counted<T>(_ kind: String, _ sign: () throws -> T) rethrows -> T {
        let signed = try sign()
        kinds.series(kind) { metrics.series(Metrics.Families.signatures, [("kind", kind)]) }.add(1)
        return signed
    }
}

/// An `ObjectURLSigner` that counts each signature it makes by kind, around the real signer.
package struct CountingURLSigner: ObjectURLSigner {
    let base: any ObjectURLSigner
    let counter: SignatureCounter

    package init(_ base: any ObjectURLSigner, metrics: Metrics) {
        self.base = base
        self.counter = SignatureCounter(metrics: metrics)
    }

    package func presignPost(_ rules: PostUploadRules, expiresIn: Int64, now: UnixSeconds) throws -> UploadForm {
        try counter.counted("post_policy") { try base.presignPost(rules, expiresIn: expiresIn, now: now) }
    }

    package func presignPut(key: String, contentType: String, contentLength: Int64?, expiresIn: Int64, now: UnixSeconds) throws -> SignedURL {
        try counter.counted("put_url") {
            try base.presignPut(key: key, contentType: contentType, contentLength: contentLength, expiresIn: expiresIn, now: now)
        }
    }

    package func presignUploadPart(key: String, uploadID: String, partNumber: Int, contentLength: Int64?,
                                  expiresIn: Int64, now: UnixSeconds) throws -> SignedURL {
        try counter.counted("upload_part_url") {
            try base.presignUploadPart(key: key, uploadID: uploadID, partNumber: partNumber, contentLength: contentLength,
                                       expiresIn: expiresIn, now: now)
        }
    }

    package func presignGet(key: String, responseContentDisposition: String?, responseContentType: String?,
                           expiresIn: Int64, now: UnixSeconds) throws -> SignedURL {
        try counter.counted("get_url") {
            try base.presignGet(key: key, responseContentDisposition: responseContentDisposition,
                                responseContentType: responseContentType, expiresIn: expiresIn, now: now)
        }
    }
}

/// A `CDNCookieSigner` that counts the cookie sets it signs.
package struct CountingCookieSigner: CDNCookieSigner {
    let base: any CDNCookieSigner
    let counter: SignatureCounter

    package init(_ base: any CDNCookieSigner, metrics: Metrics) {
        self.base = base
        self.counter = SignatureCounter(metrics: metrics)
    }

    package func cookies(resource: String, expiresAt: UnixSeconds) throws -> [(name: String, value: String)] {
        try counter.counted("cloudfront_cookies") { try base.cookies(resource: resource, expiresAt: expiresAt) }
    }
}
