package import PresigndHTTP
import PresigndMetrics
package import PresigndSigning
package import PresigndUploads

/// The object store as the flows see it: the six calls presignd makes itself. Every call
/// throws `DependencyUnavailable` when the store cannot be reached or fails, and
/// `StoreRefusal` when it answers that the request is wrong (no such upload, bad parts).
package protocol ObjectStore: Sendable {
    /// Size and type of the object, nil when there is none.
    func head(key: String) throws -> ObjectHead?
    /// The object's first `count` bytes (one ranged GET; fewer when the object is shorter), nil
    /// when there is no object.
    func firstBytes(key: String, count: Int) throws -> [UInt8]?
    /// Deletes the object; deleting a missing object succeeds.
    func delete(key: String) throws
    /// CreateMultipartUpload; returns the uploadId.
    /// With `checksumAlgorithm` SHA-256, the store checks each part against the digest its
    /// UploadPart signs and keeps a composite SHA-256 of the object.
    func createMultipartUpload(key: String, contentType: String, contentDisposition: String,
                               checksumAlgorithm: ChecksumAlgorithm?) throws -> String
    /// ListParts, every page.
    func listParts(key: String, uploadID: String) throws -> [UploadedPartInfo]
    /// CompleteMultipartUpload with `(number, etag)` in ascending order.
    /// `checksums`: each part's SHA-256 (part number → base64), for an upload created with it.
    func completeMultipartUpload(key: String, uploadID: String, parts: [(number: Int, etag: String)], checksums: [Int: String]) throws
    /// AbortMultipartUpload; an upload that no longer exists counts as aborted.
    func abortMultipartUpload(key: String, uploadID: String) throws
}

/// The store refused a multipart call for a reason the client can fix.
package struct StoreRefusal: Error, Sendable, Equatable {
    /// S3's error code, such as `NoSuchUpload`, `InvalidPart`, `EntityTooSmall`.
    package let code: String

    package init(code: String) { self.code = code }

    /// The code for "the store no longer has this multipart upload" (S3's `NoSuchUpload`; stores
    /// that say it otherwise are mapped to it by the adapter).
    package static let uploadGone = "NoSuchUpload"
}

extension StoreRefusal: APIErrorConvertible {
    package var apiError: APIError {
        switch code {
        case StoreRefusal.uploadGone:
            return APIError.notFound("the store no longer has this multipart upload (aborted or expired); start a new upload")
        case "EntityTooSmall":
            return APIError.badRequest(.partTooSmall, "every part but the last must be at least 5 MiB; upload the parts again")
        default:
            return APIError.badRequest(.invalidParts,
                                       "the store refused the part list (\(code)); list each uploaded part once, in order, with its ETag")
        }
    }
}

/// The store refused presignd's own, correctly formed request (403: wrong key, missing
/// permission, skewed clock). That is a misconfiguration to fix, not an outage to wait out:
/// 502 without `Retry-After`; the log line names the operation and the store's error code.
package struct StorageRefused: Error, APIErrorConvertible, Sendable {
    package let operation: String

    package init(operation: String) { self.operation = operation }

    package var apiError: APIError {
        APIError(status: 502, code: .storageRefused,
                 message: "the object store refused the server's \(operation) request; the operator must fix the storage credentials or permissions")
    }
}
