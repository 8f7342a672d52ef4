import PresigndHTTP
import PresigndSupport

/// How long a signature may live: what was asked, bounded by when the credentials expire.
struct SigningLifetime {
    static let maximum = 604_800  // SigV4's limit: 7 days

    let seconds: Int
    let expiresAt: UnixSeconds
    /// True when the credentials' expiry cut the requested lifetime short.
    let clampedByCredentials: Bool

    init(requested: Int, at time: UnixSeconds, credentials: AWSCredentials) throws(SigningError) {
        try SigningLifetime.check(requested)
        var seconds = requested
        var clamped = false
        if let end = credentials.expiresAt {
            let remaining = end - time
            guard remaining > 0 else { throw .credentialsExpired() }
            if remaining < Int64(requested) {
                seconds = Int(remaining)
                clamped = true
            }
        }
        self.seconds = seconds
        self.expiresAt = time + Int64(seconds)
        self.clampedByCredentials = clamped
    }

    /// A requested lifetime must be 1…604800 seconds.
    static func check(_ requested: Int) throws(SigningError) {
        guard (1...maximum).contains(requested) else {
            throw .invalidExpiry("expires must be between 1 and 604800 seconds (7 days), got \(requested)")
        }
    }
}
