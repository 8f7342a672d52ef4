import PresigndHTTP
package import PresigndMetrics
package import PresigndSigning
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

/// A signer around the real one that counts each signature it makes, by kind.
package struct CountingSigner<Base: Sendable>: Sendable {
    let base: Base
    let counter: SignatureCounter

    package init(_ base: Base, metrics: Metrics) {
        self.base = base
        self.counter = SignatureCounter(metrics: metrics)
    }
}

/// Counts presigned POST forms and PUT, part and GET URLs.
package typealias CountingURLSigner = CountingSigner<any ObjectURLSigner>
/// Counts the CDN cookie sets signed.
package typealias CountingCookieSigner = CountingSigner<any CDNCookieSigner>

extension CountingSigner: ObjectURLSigner where Base == any ObjectURLSigner {
    package func presignPost(_ rules: PostUploadRules, expiresIn: Int64, now: UnixSeconds) throws -> UploadForm {
        try counter.counted("post_policy") { try base.presignPost(rules, expiresIn: expiresIn, now: now) }
    }

    package func presignPut(key: String, contentType: String, contentLength: Int64?, checksum: DeclaredChecksum?,
                            expiresIn: Int64, now: UnixSeconds) throws -> SignedURL {
        try counter.counted("put_url") {
            try base.presignPut(key: key, contentType: contentType, contentLength: contentLength, checksum: checksum,
                                expiresIn: expiresIn, now: now)
        }
    }

    package func presignUploadPart(key: String, uploadID: String, partNumber: Int, contentLength: Int64?, checksum: DeclaredChecksum?,
                                  expiresIn: Int64, now: UnixSeconds) throws -> SignedURL {
        try counter.counted("upload_part_url") {
            try base.presignUploadPart(key: key, uploadID: uploadID, partNumber: partNumber, contentLength: contentLength,
                                       checksum: checksum, expiresIn: expiresIn, now: now)
        }
    }

    package func presignGet(key: String, responseContentDisposition: String?, responseContentType: String?,
                           expiresIn: Int64, now: UnixSeconds) throws -> SignedURL {
        try counter.counted("get_url") {
            try base.presignGet(key: key, responseContentDisposition: responseContentDisposition,
                                responseContentType: responseContentType, expiresIn: expiresIn, now: now)
        }
    }

    package func signGet(key: String, now: UnixSeconds) throws -> SignedURL {
        try counter.counted("get_headers") { try base.signGet(key: key, now: now) }
    }
}

extension CountingSigner: CDNCookieSigner where Base == any CDNCookieSigner {
    package func cookies(resource: String, expiresAt: UnixSeconds) throws -> [(name: String, value: String)] {
        try counter.counted("cloudfront_cookies") { try base.cookies(resource: resource, expiresAt: expiresAt) }
    }
}
