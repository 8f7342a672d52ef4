import PresigndCrypto
package import PresigndHTTP
import PresigndSupport

/// Why a signature was not produced. Caller mistakes are 400s; every message names what to fix
/// and never repeats a secret, a token, a signature or a signed URL.
package struct SigningError: Error, Sendable, Equatable, CustomStringConvertible, APIErrorConvertible {
    package let status: Int
    package let code: ErrorCode
    package let message: String

    package init(status: Int = 400, code: ErrorCode, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    package var description: String { "\(code): \(message)" }
    package var apiError: APIError { APIError(status: status, code: code, message: message) }

    static func invalidBucket(_ why: String) -> SigningError { SigningError(code: .invalidBucket, message: why) }
    static func invalidKey(_ why: String) -> SigningError { SigningError(code: .invalidKey, message: why) }
    static func invalidExpiry(_ why: String) -> SigningError { SigningError(code: .invalidExpiry, message: why) }
    static func invalidHeader(_ why: String) -> SigningError { SigningError(code: .invalidHeader, message: why) }
    static func invalidQuery(_ why: String) -> SigningError { SigningError(code: .invalidQuery, message: why) }
    static func invalidMethod(_ why: String) -> SigningError { SigningError(code: .invalidMethod, message: why) }
    static func invalidEndpoint(_ why: String) -> SigningError { SigningError(code: .invalidEndpoint, message: why) }
    static func invalidRegion(_ why: String) -> SigningError { SigningError(code: .invalidRegion, message: why) }
    static func invalidPolicy(_ why: String) -> SigningError { SigningError(code: .invalidPolicy, message: why) }
    static func invalidURL(_ why: String) -> SigningError { SigningError(code: .invalidUrl, message: why) }
    static func invalidKeyPair(_ why: String) -> SigningError { SigningError(code: .invalidSigningKey, message: why) }
    /// The server's own credentials ran out: not the caller's fault.
    static func credentialsExpired() -> SigningError {
        SigningError(status: 503, code: .credentialsExpired,
                     message: "the signing credentials have expired; the operator must renew them")
    }
}
