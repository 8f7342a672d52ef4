#if canImport(Glibc)
import Glibc
#endif
import PresigndApp
import PresigndHTTP
import PresigndPostgres
import PresigndStorage
import PresigndSupport

/// `presignd revoke --user USER [--reason TEXT]`: every token and media cookie issued to the user
/// before now is refused, by every worker on every host within a second.
/// `presignd revoke --cdn-key KEY_PAIR_ID [--reason TEXT]`: every cookie that CloudFront key
/// signed is refused by the media route. Each writes an audit row (actor `cli:<login>`).
enum RevokeCommand: Command {
    static let usage = """
        usage: presignd revoke --user USER_ID [--reason TEXT]
               presignd revoke --cdn-key KEY_PAIR_ID [--reason TEXT]
        """

    static func run(_ arguments: [String], environment: Environment) -> Int32 {
        let options: CommandOptions
        do {
            options = try CommandOptions(arguments[...], valueOptions: ["user", "cdn-key", "reason"], flagOptions: [])
        } catch {
            writeError(error.message + "\n" + usage)
            return 2
        }
        let subject: RevocationSubject
        switch (options.value("user"), options.value("cdn-key")) {
        case (let user?, nil) where options.positional.isEmpty && options.all("user").count == 1:
            guard AuthenticatedUser.isValidID(user) else {
                writeError("--user takes a user id: 1 to \(AuthenticatedUser.maxIDBytes) bytes, no control characters")
                return 2
            }
            subject = .user(user)
        case (nil, let key?) where options.positional.isEmpty && options.all("cdn-key").count == 1:
            guard RevocationFlow.isKeyPairID(key) else {
                writeError("--cdn-key takes a CloudFront key pair id such as K2JCJMDEHXQW5F (letters, digits, - and _)")
                return 2
            }
            subject = .cdnKey(key)
        default:
            writeError("revoke takes exactly one --user or one --cdn-key\n\(usage)")
            return 2
        }
        let reason = options.value("reason")
        if let reason, reason.utf8.count > 500 {
            writeError("--reason takes at most 500 bytes")
            return 2
        }
        return reportingDatabaseErrors {
            let settings = try PostgresSettings.from(environment)
            let revocations = PostgresRevocations(pool: PostgresPool(settings: settings), settings: settings,
                                                  logger: Logger(sink: Logger.standardError))
            let now = currentUnixTime()
            let actor = "cli:" + (environment.string("USER") ?? environment.string("LOGNAME") ?? "unknown")
            let audit = AuditEntry(actor: actor, action: subject.auditAction, resource: subject.auditResource, clientAddress: "", at: now)
            let cutoff = try revocations.revoke(subject, cutoff: RevocationSubject.cutoff(revokedAt: now), reason: reason, audit: audit)
            let what: String
            switch subject {
            case .user(let id): what = "user \(id): tokens and media cookies issued before"
            case .cdnKey(let id): what = "CloudFront key \(id): every cookie it signed, from"
            }
            writeOut("presignd revoke: \(what) \(UTCDateTime(cutoff).iso8601) are refused by every presignd within \(RevocationFlow.effectiveWithinSeconds) s\n")
            return 0
        }
    }
}
