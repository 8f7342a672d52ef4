/// An error code presignd answers with (`{"error": {"code": …}}`). `documented` is the one list
/// of them, which README's "Statuses and codes" table and the OpenAPI document's `Error.code`
/// enum hold too (a test compares the three, and finds no code written as text in the sources).
package struct ErrorCode: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    package let rawValue: String

    package init(rawValue: String) { self.rawValue = rawValue }

    /// For tests and fakes; the product names its codes by the constants below.
    package init(stringLiteral code: String) { self.rawValue = code }

    package var description: String { rawValue }

    package static let authUnavailable: ErrorCode = "auth_unavailable"
    package static let badContentLength: ErrorCode = "bad_content_length"
    package static let badMethod: ErrorCode = "bad_method"
    package static let badPath: ErrorCode = "bad_path"
    package static let badQuery: ErrorCode = "bad_query"
    package static let bodyTooLarge: ErrorCode = "body_too_large"
    package static let checksumNotChecked: ErrorCode = "checksum_not_checked"
    package static let contentTypeNotAllowed: ErrorCode = "content_type_not_allowed"
    package static let credentialsExpired: ErrorCode = "credentials_expired"
    package static let crossSiteRequest: ErrorCode = "cross_site_request"
    package static let databaseUnavailable: ErrorCode = "database_unavailable"
    package static let fileTooLarge: ErrorCode = "file_too_large"
    package static let headersTooLarge: ErrorCode = "headers_too_large"
    package static let insufficientScope: ErrorCode = "insufficient_scope"
    package static let internalError: ErrorCode = "internal_error"
    package static let invalidBucket: ErrorCode = "invalid_bucket"
    package static let imageTooLarge: ErrorCode = "image_too_large"
    package static let invalidEndpoint: ErrorCode = "invalid_endpoint"
    package static let invalidExpiry: ErrorCode = "invalid_expiry"
    package static let invalidField: ErrorCode = "invalid_field"
    package static let invalidHeader: ErrorCode = "invalid_header"
    package static let invalidKey: ErrorCode = "invalid_key"
    package static let invalidMethod: ErrorCode = "invalid_method"
    package static let invalidPartNumber: ErrorCode = "invalid_part_number"
    package static let invalidPartSize: ErrorCode = "invalid_part_size"
    package static let invalidParts: ErrorCode = "invalid_parts"
    package static let invalidPath: ErrorCode = "invalid_path"
    package static let invalidPolicy: ErrorCode = "invalid_policy"
    package static let invalidPurpose: ErrorCode = "invalid_purpose"
    package static let invalidQuery: ErrorCode = "invalid_query"
    package static let invalidRegion: ErrorCode = "invalid_region"
    package static let invalidRequest: ErrorCode = "invalid_request"
    package static let invalidSigningKey: ErrorCode = "invalid_signing_key"
    package static let invalidToken: ErrorCode = "invalid_token"
    package static let invalidUrl: ErrorCode = "invalid_url"
    package static let invalidUser: ErrorCode = "invalid_user"
    package static let malformedJson: ErrorCode = "malformed_json"
    package static let mediaForbidden: ErrorCode = "media_forbidden"
    package static let methodNotAllowed: ErrorCode = "method_not_allowed"
    package static let missingBody: ErrorCode = "missing_body"
    package static let missingField: ErrorCode = "missing_field"
    package static let missingPart: ErrorCode = "missing_part"
    package static let missingToken: ErrorCode = "missing_token"
    package static let multipartUpload: ErrorCode = "multipart_upload"
    package static let notAnImage: ErrorCode = "not_an_image"
    package static let notFound: ErrorCode = "not_found"
    package static let notMultipart: ErrorCode = "not_multipart"
    package static let originNotAllowed: ErrorCode = "origin_not_allowed"
    package static let partTooSmall: ErrorCode = "part_too_small"
    package static let pathTooLong: ErrorCode = "path_too_long"
    package static let quotaExceeded: ErrorCode = "quota_exceeded"
    package static let signingFailed: ErrorCode = "signing_failed"
    package static let storageRefused: ErrorCode = "storage_refused"
    package static let storageUnavailable: ErrorCode = "storage_unavailable"
    package static let truncatedBody: ErrorCode = "truncated_body"
    package static let unauthenticated: ErrorCode = "unauthenticated"
    package static let unsupportedMediaType: ErrorCode = "unsupported_media_type"
    package static let uploadAborted: ErrorCode = "upload_aborted"
    package static let uploadCompleted: ErrorCode = "upload_completed"
    package static let uploadExpired: ErrorCode = "upload_expired"
    package static let uploadIncomplete: ErrorCode = "upload_incomplete"
    package static let uploadNotStale: ErrorCode = "upload_not_stale"
    package static let uploadRejected: ErrorCode = "upload_rejected"

    /// Every code the product answers with.
    package static let documented: [ErrorCode] = [
        .authUnavailable, .badContentLength, .badMethod, .badPath, .badQuery,
        .bodyTooLarge, .checksumNotChecked, .contentTypeNotAllowed, .credentialsExpired, .crossSiteRequest, .databaseUnavailable,
        .fileTooLarge, .headersTooLarge, .imageTooLarge, .insufficientScope, .internalError, .invalidBucket,
        .invalidEndpoint, .invalidExpiry, .invalidField, .invalidHeader, .invalidKey,
        .invalidMethod, .invalidPartNumber, .invalidPartSize, .invalidParts, .invalidPath,
        .invalidPolicy, .invalidPurpose, .invalidQuery, .invalidRegion, .invalidRequest,
        .invalidSigningKey, .invalidToken, .invalidUrl, .invalidUser, .malformedJson,
        .mediaForbidden, .methodNotAllowed, .missingBody, .missingField, .missingPart,
        .missingToken, .multipartUpload, .notAnImage, .notFound, .notMultipart, .originNotAllowed,
        .partTooSmall, .pathTooLong, .quotaExceeded, .signingFailed, .storageRefused,
        .storageUnavailable, .truncatedBody, .unauthenticated, .unsupportedMediaType, .uploadAborted,
        .uploadCompleted, .uploadExpired, .uploadIncomplete, .uploadNotStale, .uploadRejected,
    ]
}
