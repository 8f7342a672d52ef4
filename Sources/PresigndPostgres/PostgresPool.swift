import Synchronization

/// Connections shared by a worker's serving threads: a mutex-guarded stack of idle ones.
///
/// Why a pool and not one connection per thread: Swift offers no portable thread-local
/// storage without Foundation, and a pool gives the same "one connection per busy thread"
/// (a thread borrows one for a statement and gives it back) while letting idle threads hold
/// none. Connections are made lazily on first use, so a pool built before `fork` holds
/// nothing the children would share.
package final class PostgresPool: Sendable {
    let settings: PostgresSettings
    let maxIdle: Int
    let idle = Mutex<[PostgresConnection]>([])
    let observer: PoolObserver

    package init(settings: PostgresSettings, maxIdle: Int = 8, observer: PoolObserver = PoolObserver()) {
        self.settings = settings
        self.maxIdle = maxIdle
        self.observer = observer
    }

    /// Runs `body` on a connection. When a reused connection turns out to be dead (the server
    /// restarted while it sat idle) or to be on a server that takes no writes (it failed over
    /// and the connection is on a standby now), the statement changed nothing, so it is tried
    /// once more on a fresh connection, which picks a host again; a fresh connection that fails
    /// is reported as it is.
    package func withConnection<T>(_ body: (PostgresConnection) throws(PostgresError) -> T) throws(PostgresError) -> T {
        observer.lent()
        defer { observer.returned() }
        let reused = idle.withLock { $0.popLast() }
        if let reused {
            do {
                let value = try body(reused)
                giveBack(reused)
                return value
            } catch {
                // An unanswered statement may have run: it is never tried again.
                let dead = error.kind == .connection && !reused.isHealthy
                guard dead || error.isReadOnlyServer else {
                    if reused.isHealthy { giveBack(reused) }
                    throw error
                }
                // Connection dropped here; fall through to a fresh one.
            }
        }
        let fresh = try PostgresConnection(settings, notice: observer.notice)
        observer.opened()
        do {
            let value = try body(fresh)
            giveBack(fresh)
            return value
        } catch {
            if fresh.isHealthy && !error.isReadOnlyServer { giveBack(fresh) }
            throw error
        }
    }

    /// One statement on a pooled connection.
    package func query(_ sql: SQL) throws(PostgresError) -> [PostgresRow] {
        try withConnection { connection throws(PostgresError) in try connection.query(sql) }
    }

    /// Drops every idle connection (after a fork, or at shutdown).
    package func reset() { idle.withLock { $0.removeAll() } }

    /// Keeps the connection for reuse, unless the pool is full or its server is no longer what
    /// `target_session_attrs` asked for (the next connection then picks a host again).
    func giveBack(_ connection: PostgresConnection) {
        guard connection.servesTarget else { return }
        idle.withLock { connections in
            if connections.count < maxIdle { connections.append(connection) }
        }
    }
}

/// Hooks for metrics, in the shape of postgres-nio's observability delegate: called on the
/// borrowing thread, so they must be cheap (an atomic add).
package struct PoolObserver: Sendable {
    /// A statement took a connection / gave it back.
    package var lent: @Sendable () -> Void
    package var returned: @Sendable () -> Void
    /// A new connection was opened (none was idle: the pool never makes a statement wait).
    package var opened: @Sendable () -> Void
    /// The server sent a notice or warning on one of the pool's connections.
    package var notice: @Sendable (PostgresNotice) -> Void

    package init(lent: @escaping @Sendable () -> Void = {}, returned: @escaping @Sendable () -> Void = {},
                opened: @escaping @Sendable () -> Void = {}, notice: @escaping @Sendable (PostgresNotice) -> Void = { _ in }) {
        self.lent = lent
        self.returned = returned
        self.opened = opened
        self.notice = notice
    }
}
