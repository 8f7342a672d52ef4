import PresigndCrypto
import PresigndHTTP
package import PresigndSupport

/// An AWS access key, optionally temporary (session token and expiry).
package struct AWSCredentials: Sendable, Equatable, CustomStringConvertible {
    package let accessKeyID: String
    package let secretAccessKey: String
    package let sessionToken: String?
    /// When temporary credentials stop working; nil for long-term keys.
    package let expiresAt: UnixSeconds?

    package init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiresAt: UnixSeconds? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiresAt = expiresAt
    }

    /// Never prints the secret or the token.
    package var description: String {
        "AWSCredentials(\(accessKeyID), secret: ******\(sessionToken == nil ? "" : ", session token: ******"))"
    }
}
