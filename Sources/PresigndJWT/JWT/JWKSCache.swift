import PresigndHTTP
package import PresigndSupport

/// When a JWKS URL is fetched again, in numbers.
package struct JWKSRefreshPolicy: Sendable, Equatable {
    /// At most one fetch per this many seconds for an unknown `kid` or an expired set, so a
    /// flood of forged `kid`s cannot turn presignd into a load generator against the provider.
    package var minimumInterval: Int64 = 60
    /// How long a set is fresh when the response has no usable `Cache-Control: max-age`.
    package var defaultLifetime: Int64 = 600
    /// `max-age` is clamped into this range (`no-cache`/`no-store` count as the lower end).
    package var lifetimeRange: ClosedRange<Int64> = 60...86_400
    /// While no set was ever loaded, a failed fetch is retried this soon.
    package var retryWhileEmpty: Int64 = 5

    package init() {}
}

/// The caching decisions for a JWKS URL as a pure state machine driven by the clock, so every
/// rule is testable without a network: callers ask `decide`, fetch when told to, and report
/// the outcome. The last good set is kept through failures.
package struct JWKSCache: Sendable {
    package enum Decision: Sendable, Equatable {
        /// Answer from `keys` (which may be nil when nothing was ever loaded).
        case useCache
        /// Fetch now, then report with `fetchSucceeded` or `fetchFailed`.
        case fetch
    }

    package let policy: JWKSRefreshPolicy
    package private(set) var keys: KeySet?
    package private(set) var freshUntil: UnixSeconds = .min
    package private(set) var lastAttempt: UnixSeconds?
    /// One fetch at a time; other callers keep using the cached set meanwhile.
    package private(set) var fetchInProgress = false

    package init(policy: JWKSRefreshPolicy = JWKSRefreshPolicy()) { self.policy = policy }

    package mutating func decide(keyID: String?, now: UnixSeconds) -> Decision {
        guard !fetchInProgress else { return .useCache }
        let sinceAttempt = lastAttempt.map { now - $0 } ?? .max
        let due: Bool
        if let keys {
            let stale = now >= freshUntil
            let unknownKid = keyID.map { !keys.contains(keyID: $0) } ?? false
            due = (stale || unknownKid) && sinceAttempt >= policy.minimumInterval
        } else {
            due = sinceAttempt >= policy.retryWhileEmpty
        }
        guard due else { return .useCache }
        fetchInProgress = true
        lastAttempt = now
        return .fetch
    }

    package mutating func fetchSucceeded(_ keys: KeySet, cacheControl: String?, now: UnixSeconds) {
        self.keys = keys
        freshUntil = now + JWKSCache.lifetime(cacheControl: cacheControl, policy: policy)
        fetchInProgress = false
    }

    /// Keeps the last good set; the next attempt waits for the interval in `decide`.
    package mutating func fetchFailed(now: UnixSeconds) {
        fetchInProgress = false
    }

    /// Seconds a response stays fresh according to its `Cache-Control` (RFC 9111 §5.2.2).
    package static func lifetime(cacheControl: String?, policy: JWKSRefreshPolicy) -> Int64 {
        guard let cacheControl else { return policy.defaultLifetime }
        var maxAge: Int64? = nil
        for directive in cacheControl.lowercased().split(separator: ",") {
            let parts = directive.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces() }
            switch parts.first {
            case "no-cache", "no-store":
                return policy.lifetimeRange.lowerBound
            case "max-age" where parts.count == 2:
                maxAge = Int64(parts[1].trimmingCharacters(in: "\""))
            default:
                continue
            }
        }
        guard let maxAge else { return policy.defaultLifetime }
        return min(max(maxAge, policy.lifetimeRange.lowerBound), policy.lifetimeRange.upperBound)
    }
}
