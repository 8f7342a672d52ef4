import PresigndSupport

/// presignd's metrics: a fixed catalog of families, counted into a `MetricsTable` that every
/// worker shares, and rendered in the Prometheus text exposition format (version 0.0.4, which
/// Prometheus, VictoriaMetrics and OpenMetrics parsers read). `Metrics.off` records nothing.
///
/// Label values come from closed sets (route patterns, status codes, error codes, operation
/// names), never from user input, so the number of series stays small and fixed.
package struct Metrics: Sendable {
    package enum Kind: String, Sendable { case counter, gauge, histogram }

    package struct Family: Sendable {
        package let name: String
        package let kind: Kind
        package let help: String
    }

    /// Every family presignd exports, in the order they are written.
    package enum Families {
        package static let buildInfo = Family(name: "presignd_build_info", kind: .gauge, help: "Always 1; the version is the label.")
        package static let requests = Family(name: "presignd_http_requests_total", kind: .counter,
                                            help: "Requests answered, by route pattern and status.")
        package static let duration = Family(name: "presignd_http_request_duration_seconds", kind: .histogram,
                                            help: "Time from the request's arrival at the application to its answer, by route pattern.")
        package static let jwtRefusals = Family(name: "presignd_jwt_refusals_total", kind: .counter,
                                               help: "Bearer tokens refused, by reason (expired, badSignature, missing_token, ...).")
        package static let signatures = Family(name: "presignd_signatures_total", kind: .counter,
                                              help: "Signatures made, by kind (POST policy, PUT/GET/part URL, CloudFront cookies).")
        package static let dbInUse = Family(name: "presignd_db_connections_in_use", kind: .gauge,
                                           help: "PostgreSQL connections lent out, by worker slot.")
        package static let dbOpened = Family(name: "presignd_db_connections_opened_total", kind: .counter,
                                            help: "PostgreSQL connections opened because none was idle (the pool never makes a statement wait).")
        package static let dbErrors = Family(name: "presignd_db_errors_total", kind: .counter,
                                            help: "Failed statements, by kind (unavailable: 503; statement: 500).")
        package static let s3Requests = Family(name: "presignd_s3_requests_total", kind: .counter,
                                              help: "Header-signed requests to the object store, by operation and outcome.")
        package static let transitions = Family(name: "presignd_upload_transitions_total", kind: .counter,
                                               help: "Upload state changes written, by state left and state entered.")
        package static let workers = Family(name: "presignd_workers", kind: .gauge, help: "Worker processes alive.")
        package static let restarts = Family(name: "presignd_worker_restarts_total", kind: .counter,
                                            help: "Workers restarted after they died.")
        package static let reloads = Family(name: "presignd_reloads_total", kind: .counter,
                                           help: "SIGHUP reloads, by outcome (completed, failed).")
        package static let dropped = Family(name: "presignd_metrics_dropped_series_total", kind: .counter,
                                           help: "Series that found no room in the shared table (raise PRESIGND_METRICS_SLOTS).")

        package static let mediaRefusals = Family(name: "presignd_media_fetch_refusals_total", kind: .counter,
                                                 help: "Media objects whose presigned fetch by nginx the store refused (403: keys, permissions or clock).")
        package static let mediaDenials = Family(name: "presignd_media_denials_total", kind: .counter,
                                                help: "Media requests refused, by reason (cookies, session, revoked, key_retired, owner, image).")

        package static let dbReads = Family(name: "presignd_db_reads_total", kind: .counter,
                                           help: "Read-only statements with a replica configured, by the database that served (replica, primary) and why.")
        package static let eventsWritten = Family(name: "presignd_events_written_total", kind: .counter,
                                                 help: "Events written with their changes (the outbox), by type.")
        package static let webhookDeliveries = Family(name: "presignd_webhook_deliveries_total", kind: .counter,
                                                     help: "Webhook delivery attempts, by endpoint and outcome (delivered, retried, dead).")
        package static let webhookLatency = Family(name: "presignd_webhook_delivery_latency_seconds", kind: .histogram,
                                                  help: "From an event's commit to its receiver's 2xx answer, by endpoint.")
        package static let webhookOldest = Family(name: "presignd_webhook_oldest_undelivered_seconds", kind: .gauge,
                                                 help: "Age of the oldest event not yet delivered, by endpoint (0: none waits).")

        package static let all = [buildInfo, requests, duration, jwtRefusals, signatures, dbInUse, dbOpened, dbErrors,
                                 s3Requests, mediaRefusals, mediaDenials, transitions, dbReads, eventsWritten, webhookDeliveries, webhookLatency, webhookOldest,
                                 workers, restarts, reloads, dropped]
    }

    /// Upper bounds of the latency histogram's buckets, in seconds (+Inf is the count).
    package static let bucketBounds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    static let bucketLabels = ["0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10"]
    /// Histogram values: buckets 0..<14 (not cumulative), then the count, then the sum in microseconds.
    static let countIndex = 14
    static let sumIndex = 15

    let table: MetricsTable?
    let droppedSlot: Int?

    package init(table: MetricsTable?) {
        self.table = table
        droppedSlot = table?.slot(for: Families.dropped.name)
    }

    /// Records nothing and renders an empty exposition.
    package static let off = Metrics(table: nil)

    package var isEnabled: Bool { table != nil }

    /// Writes `name{a="x",b="y"}` (label values escaped as the format requires) into a buffer
    /// on the stack, so no string is made on the hot path, and hands its bytes to `body`; nil
    /// when the key is longer than a slot holds.
    static func withKey<Result>(_ family: Family, _ labels: [(String, String)],
                                _ body: (UnsafeRawBufferPointer?) -> Result) -> Result {
        withUnsafeTemporaryAllocation(byteCount: MetricsTable.keyCapacity + 1, alignment: 1) { buffer in
            var length = 0
            func put(_ text: String, escaping: Bool = false) {
                for byte in text.utf8 {
                    if escaping && (byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\n")) {
                        guard length < buffer.count else { length = buffer.count; return }
                        buffer[length] = UInt8(ascii: "\\")
                        length += 1
                    }
                    guard length < buffer.count else { length = buffer.count; return }
                    buffer[length] = byte == UInt8(ascii: "\n") && escaping ? UInt8(ascii: "n") : byte
                    length += 1
                }
            }
            put(family.name)
            if !labels.isEmpty {
                put("{")
                for (index, (name, value)) in labels.enumerated() {
                    if index > 0 { put(",") }
                    put(name)
                    put("=\"")
                    put(value, escaping: true)
                    put("\"")
                }
                put("}")
            }
            guard length <= MetricsTable.keyCapacity else { return body(nil) }
            return body(UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[0..<length]))
        }
    }

    /// The series' slot; a key too long or a full table is counted as dropped.
    func slot(_ family: Family, _ labels: [(String, String)]) -> Int? {
        guard let table else { return nil }
        guard let slot = Metrics.withKey(family, labels, { $0.flatMap(table.slot(for:)) }) else {
            if let droppedSlot { table.add(droppedSlot, 1) }
            return nil
        }
        return slot
    }

    package func count(_ family: Family, _ labels: [(String, String)] = [], by amount: UInt64 = 1) {
        guard let table, let slot = slot(family, labels) else { return }
        table.add(slot, amount)
    }

    /// Adds `delta` (which may be negative) to a gauge.
    package func adjust(_ family: Family, _ labels: [(String, String)] = [], by delta: Int64) {
        guard let table, let slot = slot(family, labels) else { return }
        table.add(slot, UInt64(bitPattern: delta))
    }

    package func set(_ family: Family, _ labels: [(String, String)] = [], to value: Int64) {
        guard let table, let slot = slot(family, labels) else { return }
        table.store(slot, UInt64(bitPattern: value))
    }

    package func observe(_ family: Family, _ labels: [(String, String)] = [], seconds: Double) {
        guard let table, let slot = slot(family, labels) else { return }
        Metrics.record(seconds, in: table, slot: slot)
    }

    static func record(_ seconds: Double, in table: MetricsTable, slot: Int) {
        let micros = seconds > 0 ? UInt64(min(seconds * 1_000_000, 1e15)) : 0
        table.add(slot, index: Metrics.sumIndex, micros)
        table.add(slot, index: Metrics.countIndex, 1)
        if let bucket = Metrics.bucketBounds.firstIndex(where: { seconds <= $0 }) { table.add(slot, index: bucket, 1) }
    }

    /// One series found once, for a hot path that always counts the same labels.
    package struct Series: Sendable {
        let table: MetricsTable?
        let slot: Int?

        package func add(_ delta: Int64) {
            if let table, let slot { table.add(slot, UInt64(bitPattern: delta)) }
        }

        /// One observation of a histogram series, as `observe(_:_:seconds:)` records it.
        package func observe(seconds: Double) {
            if let table, let slot { Metrics.record(seconds, in: table, slot: slot) }
        }

        /// Whether the series has its slot (false when metrics are off, or the table was full
        /// when it was looked up: then it counts nothing, and it is worth looking up again).
        package var isResolved: Bool { table != nil && slot != nil }
    }

    package func series(_ family: Family, _ labels: [(String, String)] = []) -> Series {
        Series(table: table, slot: slot(family, labels))
    }

    /// The current value of one series (tests, and the summary the supervisor logs).
    package func value(_ family: Family, _ labels: [(String, String)] = []) -> Int64 {
        guard let table, let slot = Metrics.withKey(family, labels, { $0.flatMap(table.slot(for:)) }) else { return 0 }
        return Int64(bitPattern: table.load(slot, index: family.kind == .histogram ? Metrics.countIndex : 0))
    }

    /// The whole table in the Prometheus text format: `# HELP` and `# TYPE` once per family,
    /// series sorted, histograms with cumulative buckets, `_sum` in seconds and `_count`.
    package func exposition() -> String {
        guard let table else { return "" }
        var merged: [String: [UInt64]] = [:]
        for (key, values) in table.snapshot() {
            if let existing = merged[key] {
                merged[key] = zip(existing, values).map { $0 &+ $1 }
            } else {
                merged[key] = values
            }
        }
        var byFamily: [String: [(labels: String, values: [UInt64])]] = [:]
        for (key, values) in merged {
            let name = key.prefix { $0 != "{" }
            let labels = key.dropFirst(name.count).dropFirst().dropLast()
            byFamily[String(name), default: []].append((String(labels), values))
        }
        var out = ""
        for family in Families.all {
            guard let series = byFamily[family.name] else { continue }
            out += "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) \(family.kind.rawValue)\n"
            for (labels, values) in series.sorted(by: { $0.labels < $1.labels }) {
                switch family.kind {
                case .counter:
                    out += Metrics.line(family.name, labels, String(values[0]))
                case .gauge:
                    out += Metrics.line(family.name, labels, String(Int64(bitPattern: values[0])))
                case .histogram:
                    var cumulative: UInt64 = 0
                    for (index, bound) in Metrics.bucketLabels.enumerated() {
                        cumulative &+= values[index]
                        out += Metrics.line(family.name + "_bucket", Metrics.joined(labels, "le=\"\(bound)\""), String(cumulative))
                    }
                    let count = max(values[Metrics.countIndex], cumulative)
                    out += Metrics.line(family.name + "_bucket", Metrics.joined(labels, "le=\"+Inf\""), String(count))
                    out += Metrics.line(family.name + "_sum", labels, Metrics.seconds(micros: values[Metrics.sumIndex]))
                    out += Metrics.line(family.name + "_count", labels, String(count))
                }
            }
        }
        return out
    }

    static func line(_ name: String, _ labels: String, _ value: String) -> String {
        labels.isEmpty ? "\(name) \(value)\n" : "\(name){\(labels)} \(value)\n"
    }

    static func joined(_ labels: String, _ extra: String) -> String {
        labels.isEmpty ? extra : labels + "," + extra
    }

    /// Microseconds as decimal seconds, exactly (`1234567` → `1.234567`).
    static func seconds(micros: UInt64) -> String {
        let fraction = String(micros % 1_000_000)
        return "\(micros / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)"
    }
}
