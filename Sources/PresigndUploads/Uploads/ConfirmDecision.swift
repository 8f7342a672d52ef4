import PresigndCrypto
import PresigndHTTP
import PresigndSigning
import PresigndSupport

/// What HeadObject said about an uploaded object.
package struct ObjectHead: Sendable, Equatable {
    package let size: Int64
    package let contentType: String

    package init(size: Int64, contentType: String) {
        self.size = size
        self.contentType = contentType
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

    package static func decide(head: ObjectHead?, purpose: UploadPurpose, declaredSize: Int64, declaredType: String) -> ConfirmDecision {
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
        return .ready(size: head.size, contentType: head.contentType)
    }
}
