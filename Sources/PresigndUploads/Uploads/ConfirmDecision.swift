import PresigndCrypto
import PresigndHTTP
package import PresigndSigning
import PresigndSupport

/// What HeadObject said about an uploaded object.
package struct ObjectHead: Sendable, Equatable {
    package let size: Int64
    package let contentType: String
    /// The SHA-256 the store keeps of the object (HeadObject in checksum mode), base64; nil when
    /// it keeps none.
    package let checksumSHA256: String?

    package init(size: Int64, contentType: String, checksumSHA256: String? = nil) {
        self.size = size
        self.contentType = contentType
        self.checksumSHA256 = checksumSHA256
    }
}

/// The outcome of confirming an upload: what S3 holds must fit the purpose and what the
/// client declared when it asked to upload.
package enum ConfirmDecision: Sendable, Equatable {
    case ready(size: Int64, contentType: String)
    /// The object breaks a rule; it is to be deleted, and the reason shown to the client.
    case rejected(reason: String)
    /// Nothing is there yet (the upload has not finished, or never started).
    case notUploaded

    package static func decide(head: ObjectHead?, purpose: UploadPurpose, declaredSize: Int64, declaredType: String,
                               checksum: BoundChecksum? = nil, compositeSHA256: String? = nil) -> ConfirmDecision {
        guard let head else { return .notUploaded }
        if head.size < 1 {
            return .rejected(reason: "the uploaded object is empty")
        }
        if head.size > purpose.maxSize {
            return .rejected(reason: "the uploaded object is \(head.size) bytes; \(purpose.name) files may be at most \(purpose.maxSize) bytes")
        }
        if head.size > declaredSize {
            return .rejected(reason: "the uploaded object is \(head.size) bytes but \(declaredSize) bytes were declared")
        }
        if !purpose.allows(contentType: head.contentType) {
            return .rejected(reason: "the uploaded object's type is not allowed for \(purpose.name) files (must start with \(purpose.allowedTypePrefix))")
        }
        if MediaType.essence(head.contentType) != MediaType.essence(declaredType) {
            return .rejected(reason: "the uploaded object's type differs from the declared \(MediaType.essence(declaredType))")
        }
        // The store checked the bound digest when the bytes arrived; a SHA-256 it kept is compared
        // again (one it did not keep means it never checked one: the bytes are unproven).
        // Content-MD5 leaves nothing to compare: the ETag is no MD5 under SSE-KMS or multipart.
        // A multipart upload's is the composite of its parts' (`<base64>-<parts>`, computed from
        // the digests the store reported for the parts when it completed them), each part
        // checked by the store against the digest its URL signed.
        let expected: String?
        switch checksum {
        case .whole(let declared) where declared.algorithm == .sha256: expected = declared.value
        case .parts(.sha256): expected = compositeSHA256
        default: return .ready(size: head.size, contentType: head.contentType)
        }
        guard let kept = head.checksumSHA256 else {
            return .rejected(reason: "the store kept no SHA-256 of the object, so its bytes cannot be proven to be the declared ones "
                             + "(does the store check x-amz-checksum-sha256? see PRESIGND_STORE_PROFILE)")
        }
        if let expected, kept != expected {
            return .rejected(reason: checksum == .parts(.sha256)
                ? "the uploaded object's composite SHA-256 differs from its parts' declared digests"
                : "the uploaded object's SHA-256 differs from the declared checksumSHA256")
        }
        if expected == nil && kept.split(separator: "-").count != 2 {
            return .rejected(reason: "the store kept no SHA-256 of the object's parts, so its bytes cannot be proven to be the declared ones")
        }
        return .ready(size: head.size, contentType: head.contentType)
    }
}
