import PresigndCrypto
package import PresigndHTTP
import PresigndSigning

/// How the client will send the bytes.
package enum UploadMethod: String, Sendable {
    /// A presigned POST form: S3 enforces size, key and type from the policy (the default).
    case post = "POST"
    /// A presigned PUT URL: the type is signed, the size cannot be enforced by S3.
    case put = "PUT"
}

/// A presign request after validation against its purpose: everything needed to sign and to
/// insert the pending row.
package struct ValidatedUpload: Sendable, Equatable {
    package let purpose: UploadPurpose
    package let fileName: String
    package let contentType: String
    package let declaredSize: Int64
    package let method: UploadMethod
}

/// Checks a presign request against the purposes, in the order of the seed's error table:
/// purpose, size, type. Errors are 400s naming the field.
package enum UploadValidation {
    package static func validate(
        purpose purposeName: String, fileName rawName: String, contentType declaredType: String, fileSize declaredSize: Int64?,
        method rawMethod: String?, purposes: UploadPurposes, singleRequest: Bool = true
    ) throws(APIError) -> ValidatedUpload {
        guard let purpose = purposes[purposeName] else {
            let names = purposes.all.map(\.name).joined(separator: ", ")
            throw APIError.badRequest(.invalidPurpose, "the field \"purpose\" must be one of: \(names)")
        }
        // No size (Uppy sends none) declares the purpose's maximum: the POST policy and the
        // confirmation still hold the object to it.
        let fileSize = declaredSize ?? purpose.maxSize
        guard let fileName = FileName.sanitize(rawName) else {
            throw APIError.badRequest(.invalidField, "the field \"fileName\" has no usable characters")
        }
        guard fileSize >= 1 else {
            throw APIError.badRequest(.invalidField, "the field \"fileSize\" must be at least 1 byte")
        }
        guard fileSize <= purpose.maxSize else {
            throw APIError.badRequest(.fileTooLarge,
                                      "the field \"fileSize\" is \(fileSize) bytes; \(purpose.name) files may be at most \(purpose.maxSize) bytes")
        }
        // The seeds' pages send `file.type`, "" for a file the browser cannot type: an unknown type.
        let undeclared = declaredType.isEmpty
        let contentType = undeclared ? MediaType.unknown : declaredType
        guard MediaType.isValid(contentType) else {
            throw APIError.badRequest(.invalidField, "the field \"contentType\" must be a media type such as image/png")
        }
        guard purpose.allows(contentType: contentType) else {
            if undeclared {
                throw APIError.badRequest(.contentTypeNotAllowed,
                                          "the file's type is unknown (an empty \"contentType\": the browser could not tell it from the name); "
                                          + "\(purpose.name) files must be \(purpose.allowedTypePrefix)*: declare the type or pick a file with a known extension")
            }
            throw APIError.badRequest(.contentTypeNotAllowed,
                                      "the field \"contentType\" must start with \(purpose.allowedTypePrefix) for \(purpose.name) files")
        }
        let method: UploadMethod
        switch rawMethod?.uppercased() {
        case nil, "POST": method = .post
        case "PUT": method = .put
        default: throw APIError.badRequest(.invalidField, "the field \"method\" must be POST or PUT")
        }
        guard fileSize <= UploadPurposes.largestSingleUpload || !singleRequest else {
            throw APIError.badRequest(.fileTooLarge,
                                      "the field \"fileSize\" is \(fileSize) bytes; one request carries at most \(UploadPurposes.largestSingleUpload) bytes (5 GiB): use a multipart upload")
        }
        return ValidatedUpload(purpose: purpose, fileName: fileName, contentType: MediaType.lowercasingEssence(contentType),
                               declaredSize: fileSize, method: method)
    }
}
