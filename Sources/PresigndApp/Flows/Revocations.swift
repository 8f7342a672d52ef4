import Synchronization
package import PresigndSupport
package import PresigndUploads

/// What a revocation applies to: a user (every credential issued to them before the cutoff)
/// or a CloudFront signing key (every cookie it signed).
package enum RevocationSubject: Sendable, Hashable {
    case user(String)
    case cdnKey(String)

    /// The `kind` column and the first word of the announcement.
    package var kind: String {
        switch self {
        case .user: return "user"
        case .cdnKey: return "cdn_key"
        }
    }

    package var name: String {
        switch self {
        case .user(let id), .cdnKey(let id): return id
        }
    }

    /// The audit row's resource and action, and the admin route's field naming it.
    package var auditResource: String {
        switch self {
        case .user(let id): return "user:\(id)"
        case .cdnKey(let id): return "cdn-key:\(id)"
        }
    }

    package var auditAction: AuditAction {
        switch self {
        case .user: return .userRevoke
        case .cdnKey: return .cdnKeyRetire
        }
    }

    package var field: String {
        switch self {
        case .user: return "user"
        case .cdnKey: return "cdnKey"
        }
    }

    package init?(kind: String, name: String) {
        switch kind {
        case "user": self = .user(name)
        case "cdn_key": self = .cdnKey(name)
        default: return nil
        }
    }
}

/// The cutoffs every request is checked against, as this process last heard them. Reading one
/// never touches the database: `PostgresRevocations` keeps them from a `LISTEN`.
package protocol Revocations: Sendable {
    /// Credentials of `subject` issued before this time are refused; nil when never revoked.
    func cutoff(_ subject: RevocationSubject) -> UnixSeconds?
}

extension Revocations {
    /// Whether credentials of `user` issued at `issuedAt` are revoked. Credentials that do not
    /// say when they were issued are revoked once the user has a cutoff.
    package func revokes(user: String, issuedAt: UnixSeconds?) -> Bool {
        guard let cutoff = cutoff(.user(user)) else { return false }
        return (issuedAt ?? .min) < cutoff
    }

    /// Whether cookies signed with this CloudFront key pair are refused.
    package func isRetired(cdnKey keyPairID: String) -> Bool { cutoff(.cdnKey(keyPairID)) != nil }
}

/// Records revocations: the cutoff, its audit row, and the announcement every process hears.
package protocol RevocationStore: Sendable {
    /// Revokes `subject` from `cutoff` on (a later cutoff already recorded is kept) and
    /// answers the cutoff in force.
    func revoke(_ subject: RevocationSubject, cutoff: UnixSeconds, reason: String?, audit: AuditEntry) throws -> UnixSeconds
}

extension RevocationSubject {
    /// The cutoff of a revocation made at `now`: the next whole second, so credentials issued
    /// during the second of the revocation (whose `iat` cannot tell before from after) are refused too.
    package static func cutoff(revokedAt now: UnixSeconds) -> UnixSeconds { now + 1 }
}

/// Revocations in memory: the tests' store, and a process's own view when nothing is configured.
package final class MemoryRevocations: Revocations, RevocationStore {
    let cutoffs = Mutex<[RevocationSubject: UnixSeconds]>([:])
    let audits = Mutex<[AuditEntry]>([])

    package init() {}

    /// The audit entries recorded so far.
    package var recorded: [AuditEntry] { audits.withLock { $0 } }

    package func cutoff(_ subject: RevocationSubject) -> UnixSeconds? { cutoffs.withLock { $0[subject] } }

    package func revoke(_ subject: RevocationSubject, cutoff: UnixSeconds, reason: String?, audit: AuditEntry) throws -> UnixSeconds {
        audits.withLock { $0.append(audit) }
        return cutoffs.withLock { cutoffs in
            let kept = max(cutoffs[subject] ?? cutoff, cutoff)
            cutoffs[subject] = kept
            return kept
        }
    }
}
