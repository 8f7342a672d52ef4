/// An AWS access key, optionally temporary (session token and expiry).
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible {
    public let accessKeyID: String
    public let secretAccessKey: String
    public let sessionToken: String?
    /// When temporary credentials stop working; nil for long-term keys.
    public let expiresAt: UnixSeconds?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiresAt: UnixSeconds? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiresAt = expiresAt
    }

    /// Never prints the secret or the token.
    public var description: String {
        "AWSCredentials(\(accessKeyID), secret: ******\(sessionToken == nil ? "" : ", session token: ******"))"
    }
}
