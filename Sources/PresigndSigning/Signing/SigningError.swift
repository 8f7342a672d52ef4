import PresigndCrypto
package import PresigndHTTP
import PresigndSupport

/// Why a signature was not produced. Caller mistakes are 400s; every message names what to fix
/// and never repeats a secret, a token, a signature or a signed URL.
package struct SigningError: Error, Sendable, Equatable, CustomStringConvertible, APIErrorConvertible {
    package let status: Int
    package let code: String
    package let message: String

    package init(status: Int = 400, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    package var description: String { "\(code): \(message)" }
    package var apiError: APIError { APIError(status: status, code: code, message: message) }

    static func invalidBucket(_ why: String) -> SigningError { SigningError(code: "invalid_bucket", message: why) }
    static func invalidKey(_ why: String) -> SigningError { SigningError(code: "invalid_key", message: why) }
    static func invalidExpiry(_ why: String) -> SigningError { SigningError(code: "invalid_expiry", message: why) }
    static func invalidHeader(_ why: String) -> SigningError { SigningError(code: "invalid_header", message: why) }
    static func invalidQuery(_ why: String) -> SigningError { SigningError(code: "invalid_query", message: why) }
    static func invalidMethod(_ why: String) -> SigningError { SigningError(code: "invalid_method", message: why) }
    static func invalidEndpoint(_ why: String) -> SigningError { SigningError(code: "invalid_endpoint", message: why) }
    static func invalidRegion(_ why: String) -> SigningError { SigningError(code: "invalid_region", message: why) }
    static func invalidPolicy(_ why: String) -> SigningError { SigningError(code: "invalid_policy", message: why) }
    static func invalidURL(_ why: String) -> SigningError { SigningError(code: "invalid_url", message: why) }
    static func invalidKeyPair(_ why: String) -> SigningError { SigningError(code: "invalid_signing_key", message: why) }
    /// The server's own credentials ran out: not the caller's fault.
    static func credentialsExpired() -> SigningError {
        SigningError(status: 503, code: "credentials_expired",
                     message: "the signing credentials have expired; the operator must renew them")
    }
}
