package import PresigndHTTP
import PresigndJWT
import PresigndMetrics
package import PresigndSigning
package import PresigndSupport
import PresigndUploads

/// A presigned POST form as the upload flow hands it out: where to send it and the fields to send before the file.
package struct UploadForm: Sendable {
    package let url: String
    package let fields: [(name: String, value: String)]
    /// When the signature stops working (earlier than asked if the credentials expire first).
    package let expiresAt: UnixSeconds
}

/// A presigned URL, the headers the client must send with it, and when it stops working.
package struct SignedURL: Sendable {
    package let url: String
    package var headers: [(name: String, value: String)] = []
    package let expiresAt: UnixSeconds
}

/// What a presigned POST policy must enforce for one upload.
package struct PostUploadRules: Sendable, Equatable {

    package let key: String
    package let contentType: String
    /// `starts-with $Content-Type` value; empty allows any type.
    package let contentTypePrefix: String
    package let maxSize: Int64
    package let contentDisposition: String
}

/// Signs URLs and forms for the object store (SigV4). Pure computation: nothing is sent.
package protocol ObjectURLSigner: Sendable {
    func presignPost(_ rules: PostUploadRules, expiresIn: Int64, now: UnixSeconds) throws -> UploadForm
    /// A PUT URL with `Content-Type` (and, when given, the exact `Content-Length` and the
    /// checksum's header) signed; returns the URL and the headers the client must send.
    func presignPut(key: String, contentType: String, contentLength: Int64?, checksum: DeclaredChecksum?,
                    expiresIn: Int64, now: UnixSeconds) throws -> SignedURL
    /// An UploadPart URL; with `contentLength`, that exact length is signed, so the store refuses a part of another size.
    func presignUploadPart(key: String, uploadID: String, partNumber: Int, contentLength: Int64?, checksum: DeclaredChecksum?,
                           expiresIn: Int64, now: UnixSeconds) throws -> SignedURL
    func presignGet(key: String, responseContentDisposition: String?, responseContentType: String?,
                    expiresIn: Int64, now: UnixSeconds) throws -> SignedURL
    /// A GetObject signed in its headers (`Authorization`, `X-Amz-Date`, `X-Amz-Content-SHA256`,
    /// and the session token if any), for nginx's media fetch: the URL carries no signature, so
    /// no log line that names it ever shows one. Valid for the store's 15 minutes of clock skew.
    func signGet(key: String, now: UnixSeconds) throws -> SignedURL
}

/// Signs CloudFront custom-policy cookies for one resource pattern.
package protocol CDNCookieSigner: Sendable {
    /// The three cookies (`CloudFront-Policy`, `CloudFront-Signature`, `CloudFront-Key-Pair-Id`).
    func cookies(resource: String, expiresAt: UnixSeconds) throws -> [(name: String, value: String)]
}

/// PostgreSQL or the object store could not be reached: 503 with `Retry-After`, so clients
/// and load balancers back off and try again; the service recovers by itself.
package struct DependencyUnavailable: Error, APIErrorConvertible, Sendable {
    package enum Dependency: Sendable { case database, storage }
    package let dependency: Dependency

    package init(_ dependency: Dependency) { self.dependency = dependency }

    package var apiError: APIError {
        switch dependency {
        case .database:
            return APIError(status: 503, code: .databaseUnavailable,
                            message: "the database is not answering; try again shortly", headers: ["Retry-After": "5"])
        case .storage:
            return APIError(status: 503, code: .storageUnavailable,
                            message: "the object store is not answering; try again shortly", headers: ["Retry-After": "5"])
        }
    }
}
