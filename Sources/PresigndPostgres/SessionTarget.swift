/// What `target_session_attrs` asks of a server, checked again after every statement. libpq
/// checks it only while connecting, but a kept connection's server can change under it: a
/// primary fenced read-only for a switchover (`default_transaction_read_only`) keeps answering
/// reads, so a pooled connection to it would keep serving stale data after the standby took over.
enum SessionTarget: Sendable, Equatable {
    /// `any` (libpq's default), `read-only`, `standby`, `prefer-standby`: nothing to hold.
    case any
    /// `read-write`: neither in recovery nor read-only by default.
    case readWrite
    /// `primary`: not in recovery.
    case primary

    init(targetSessionAttrs: String?) {
        switch targetSessionAttrs {
        case "read-write": self = .readWrite
        case "primary": self = .primary
        default: self = .any
        }
    }

    /// Whether a server reporting these settings (libpq's `ParameterStatus` values, nil from a
    /// server before PostgreSQL 14, which reports neither) still is what was asked for.
    func accepts(defaultTransactionReadOnly: String?, inHotStandby: String?) -> Bool {
        switch self {
        case .any: return true
        case .primary: return inHotStandby != "on"
        case .readWrite: return inHotStandby != "on" && defaultTransactionReadOnly != "on"
        }
    }
}
