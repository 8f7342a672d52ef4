#if canImport(Glibc)
import Glibc
#endif
package import PresigndApp
import PresigndHTTPClient
package import PresigndMetrics
package import PresigndPostgres
import PresigndSupport
import PresigndUploads

/// Delivers the outbox's events to the webhook endpoints, off the request path. One deliverer
/// runs at a time across every worker and host: the holder of a session advisory lock, on its
/// own connection, which also `LISTEN`s, so it sleeps until an event commits, a replay is asked
/// for, or the next retry is due. Per endpoint, an event of a document goes out only once every
/// earlier event of that document was delivered or dead-lettered (commit order per document): of
/// what is due only each document's first pending delivery is sent, and one found waiting behind
/// another is made due no sooner than that one (as a retry makes the later ones of its document).
/// Every statement is an index range scan whatever the planner's statistics say (the tables fill
/// in bursts): no anti-join.
/// Delivery is at least once: a deliverer that dies after a receiver's 2xx and before recording
/// it sends that event again, with the same `webhook-id`.
package final class EventDeliverer: @unchecked Sendable {
    /// The advisory lock the deliverer holds (the bytes of "presignE").
    static let lockKey: Int64 = 0x7072_6573_6967_6E45

    let settings: PostgresSettings
    let config: WebhookConfig
    let client: HTTPClient
    let logger: Logger
    let metrics: Metrics
    let batchSize = 100
    /// How long a deliverer waits at most between looks (a lost NOTIFY costs no more than this),
    /// and how often a process that does not hold the lock tries it again.
    let idleMilliseconds = 5_000
    /// Endpoints whose last attempt could not reach them: left alone until then (monotonic ms),
    /// after this many failures in a row.
    var unreachable: [String: (until: Int64, failures: Int)] = [:]
    /// Whether a failed delivery may be waiting for its retry: only then does an idle deliverer
    /// ask when the next one is due (a replay wakes it by NOTIFY).
    var retriesMayWait = true
    /// When the oldest-undelivered gauges were last set (monotonic ms): once a second at most.
    var reportedAt: Int64 = 0

    package init(settings: PostgresSettings, config: WebhookConfig, logger: Logger, metrics: Metrics) {
        self.settings = settings
        self.config = config
        self.client = HTTPClient(maxResponseBytes: 64 * 1024)
        self.logger = logger
        self.metrics = metrics
    }

    /// Delivers while `running()` holds: waits for the lock, delivers while holding it, and
    /// starts over (after a second) when its connection fails.
    package func run(while running: () -> Bool = { true }) {
        var waiting = false
        while running() {
            do {
                let connection = try PostgresConnection(settings, notice: { _ in })
                guard try connection.query("SELECT pg_try_advisory_lock(\(Self.lockKey))").first?[0] == "t" else {
                    if !waiting { logger.info("webhook delivery: another process delivers; this one stands by") }
                    waiting = true
                    Self.sleep(milliseconds: idleMilliseconds)
                    continue
                }
                waiting = false
                try connection.execute("LISTEN presignd_events; LISTEN presignd_deliveries")
                logger.info("webhook delivery: this process delivers to \(config.endpoints.map(\.name).joined(separator: ", "))")
                try deliver(on: connection, while: running)
            } catch {
                logger.warning("webhook delivery: \(error.logged); trying again in 1 s")
                Self.sleep(milliseconds: 1_000)
            }
        }
    }

    func deliver(on connection: PostgresConnection, while running: () -> Bool) throws(PostgresError) {
        while running() {
            var more = false
            for endpoint in config.endpoints { more = try deliverDue(to: endpoint, on: connection) == batchSize || more }
            // A full batch may have left more behind; otherwise what committed meanwhile has sent
            // its NOTIFY, which ends the wait below at once.
            if more { continue }
            try reportOldest(on: connection)
            _ = try connection.notifications(waitingAtMost: retriesMayWait ? try untilNextDue(on: connection) : idleMilliseconds)
        }
    }

    struct Due {
        let seq: String
        let id: String
        let body: String
        let attempts: Int
        let committedAt: Double
        let documentID: String
    }

    /// Sends what is due to `endpoint`, a batch at most (one event per document: the earliest
    /// not yet delivered), and records each outcome; answers how many were due.
    func deliverDue(to endpoint: WebhookEndpoint, on connection: PostgresConnection) throws(PostgresError) -> Int {
        let now = MonotonicTime.milliseconds()
        if let down = unreachable[endpoint.name], down.until > now { return 0 }
        // With each, its document's first pending delivery: only a document's first may go now.
        let candidates = try connection.query("""
            SELECT d.event_seq, e.id::text, e.body, d.attempts, extract(epoch from e.at)::float8, d.document_id::text,
                   (SELECT p.event_seq FROM event_deliveries p
                    WHERE p.endpoint = d.endpoint AND p.document_id = d.document_id AND p.state = 'pending'
                    ORDER BY p.event_seq LIMIT 1)
            FROM event_deliveries d JOIN events e ON e.seq = d.event_seq
            WHERE d.endpoint = \(endpoint.name) AND d.state = 'pending' AND d.next_at <= now()
            ORDER BY d.next_at, d.event_seq
            LIMIT \(batchSize)
            """)
        guard !candidates.isEmpty else { return 0 }
        let waiting = candidates.filter { $0[6] != $0[0] }
        if !waiting.isEmpty {
            // Behind an earlier delivery of their document (one backing off, or due in this very
            // batch): due no sooner than it, so they are not read again until then.
            _ = try connection.query("""
                UPDATE event_deliveries d SET next_at = greatest(d.next_at, first.next_at)
                FROM unnest(\(array: waiting.map { $0.string(0) })::bigint[],
                            \(array: waiting.map { $0[6] ?? $0.string(0) })::bigint[]) AS w (seq, first_seq),
                     event_deliveries first
                WHERE d.endpoint = \(endpoint.name) AND d.event_seq = w.seq AND first.endpoint = \(endpoint.name)
                  AND first.event_seq = w.first_seq
                """)
        }
        let due = candidates.filter { $0[6] == $0[0] }.map {
            Due(seq: $0.string(0), id: $0.string(1), body: $0.string(2), attempts: Int($0.int64(3) ?? 0),
                committedAt: Double($0.string(4)) ?? 0, documentID: $0.string(5))
        }
        var delivered: [String] = []
        sending: for event in due {
            switch send(event, to: endpoint) {
            case .delivered:
                delivered.append(event.seq)
                unreachable[endpoint.name] = nil
                metrics.count(Metrics.Families.webhookDeliveries, [("endpoint", endpoint.name), ("outcome", "delivered")])
                metrics.observe(Metrics.Families.webhookLatency, [("endpoint", endpoint.name)],
                                seconds: max(0, Double(WallTime.unixMilliseconds()) / 1000 - event.committedAt))
            case .refused(let reason):
                try failed(event, at: endpoint, reason: reason, on: connection)
            case .unreachable(let reason):
                // Nothing more goes to an endpoint that cannot be reached until its back-off
                // is over; the events not tried keep their attempts.
                try failed(event, at: endpoint, reason: reason, on: connection)
                let failures = (unreachable[endpoint.name]?.failures ?? 0) + 1
                let wait = config.retry.delayMilliseconds(afterAttempt: failures, random: Double.random(in: 0..<1))
                unreachable[endpoint.name] = (MonotonicTime.milliseconds() + Int64(wait), failures)
                logger.warning("webhook \(endpoint.name): \(reason); not trying it again for \(wait) ms")
                break sending
            }
        }
        if !delivered.isEmpty {
            _ = try connection.query("""
                UPDATE event_deliveries SET state = 'delivered', attempts = attempts + 1, delivered_at = now(), last_error = NULL
                WHERE endpoint = \(endpoint.name) AND event_seq = ANY (\(array: delivered)::bigint[]) AND state = 'pending'
                """)
        }
        return candidates.count
    }

    enum Outcome {
        case delivered
        /// The receiver answered, but not 2xx.
        case refused(String)
        /// No answer: the connection failed, timed out, or TLS was refused.
        case unreachable(String)
    }

    /// One attempt: POST the event's body with the Standard Webhooks headers of this moment.
    func send(_ event: Due, to endpoint: WebhookEndpoint) -> Outcome {
        let body = Array(event.body.utf8)
        let headers = WebhookSignature.headers(id: event.id, timestamp: UnixSeconds(WallTime.unixMilliseconds() / 1000), body: body,
                                               secrets: endpoint.secrets)
            + [("Content-Type", "application/json"), ("User-Agent", "presignd/\(PresigndVersion.current)")]
        do {
            let response = try client.send(OutboundRequest(method: "POST", url: endpoint.url, headers: headers, body: body,
                                                           timeoutMilliseconds: config.timeoutMilliseconds))
            return (200..<300).contains(response.status) ? .delivered : .refused("HTTP \(response.status)")
        } catch {
            return .unreachable(error.reason)
        }
    }

    /// Counts a failed attempt: the delivery is due again after its back-off (and the later ones
    /// of its document no sooner), or dead once it has had every attempt.
    func failed(_ event: Due, at endpoint: WebhookEndpoint, reason: String, on connection: PostgresConnection) throws(PostgresError) {
        let attempts = event.attempts + 1
        let dead = attempts >= config.maxAttempts
        retriesMayWait = true
        let delay = config.retry.delayMilliseconds(afterAttempt: attempts, random: Double.random(in: 0..<1))
        _ = try connection.query("""
            WITH failed AS (
                UPDATE event_deliveries
                SET attempts = \(attempts), last_error = \(String(reason.prefix(200))), state = \(dead ? "dead" : "pending"),
                    next_at = now() + \(delay) * interval '1 millisecond'
                WHERE endpoint = \(endpoint.name) AND event_seq = \(event.seq)::bigint AND state = 'pending'
                RETURNING next_at
            )
            UPDATE event_deliveries d SET next_at = greatest(d.next_at, failed.next_at)
            FROM failed
            WHERE d.endpoint = \(endpoint.name) AND d.document_id = \(event.documentID)::uuid AND d.state = 'pending'
              AND d.event_seq > \(event.seq)::bigint
            """)
        metrics.count(Metrics.Families.webhookDeliveries, [("endpoint", endpoint.name), ("outcome", dead ? "dead" : "retried")])
        if dead { logger.warning("webhook \(endpoint.name): event \(event.id) dead after \(attempts) attempts (\(reason)); presignd events replay \(event.id)") }
    }

    /// How long to sleep: until an endpoint that could not be reached may be tried again, or the
    /// earliest pending delivery is due (none waits behind an earlier one of its document that is
    /// due later); at most `idleMilliseconds` (a NOTIFY ends the sleep sooner).
    func untilNextDue(on connection: PostgresConnection) throws(PostgresError) -> Int {
        var wait = idleMilliseconds
        let now = MonotonicTime.milliseconds()
        var waiting = false
        for endpoint in config.endpoints {
            if let down = unreachable[endpoint.name], down.until > now {
                wait = min(wait, Int(down.until - now))
                waiting = true
                continue
            }
            let row = try connection.query("""
                SELECT ceil(extract(epoch from min(next_at) - clock_timestamp()) * 1000)::bigint
                FROM event_deliveries WHERE endpoint = \(endpoint.name) AND state = 'pending'
                """).first
            guard let dueIn = row?.int64(0) else { continue }
            wait = min(wait, Int(max(dueIn, 0)))
            waiting = true
        }
        retriesMayWait = waiting
        return max(wait, 10)
    }

    /// The age of each endpoint's oldest undelivered event.
    func reportOldest(on connection: PostgresConnection) throws(PostgresError) {
        let now = MonotonicTime.milliseconds()
        guard metrics.isEnabled, now - reportedAt >= 1_000 else { return }
        reportedAt = now
        for endpoint in config.endpoints {
            let oldest = try connection.query("""
                SELECT extract(epoch from now() - e.at)::bigint FROM events e
                WHERE e.seq = (SELECT min(event_seq) FROM event_deliveries WHERE endpoint = \(endpoint.name) AND state = 'pending')
                """).first?.int64(0) ?? 0
            metrics.set(Metrics.Families.webhookOldest, [("endpoint", endpoint.name)], to: oldest)
        }
    }

    static func sleep(milliseconds: Int) { usleep(useconds_t(milliseconds) * 1_000) }
}
