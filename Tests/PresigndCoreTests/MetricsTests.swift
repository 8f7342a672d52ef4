import Dispatch
import PresigndJWT
import PresigndMetrics
import XCTest

/// The shared metrics table and its Prometheus text: keys, atomic counting from many threads,
/// histograms, escaping and the exposition's shape.
final class MetricsTests: XCTestCase {
    func testSameKeySameSlotAndDistinctKeysDistinctSlots() throws {
        let table = MetricsTable(slots: 64)
        let a = try XCTUnwrap(table.slot(for: #"presignd_http_requests_total{route="/healthz",status="200"}"#))
        let b = try XCTUnwrap(table.slot(for: #"presignd_http_requests_total{route="/healthz",status="404"}"#))
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(table.slot(for: #"presignd_http_requests_total{route="/healthz",status="200"}"#), a)
        XCTAssertEqual(table.snapshot().count, 2)
    }

    func testFullTableAndLongKeysAreRefusedAndCountedAsDropped() {
        let metrics = Metrics(table: MetricsTable(slots: 4))  // one slot holds the dropped counter
        for status in 0..<10 { metrics.count(Metrics.Families.requests, [("route", "/x"), ("status", String(status))]) }
        metrics.count(Metrics.Families.requests, [("route", String(repeating: "r", count: 300)), ("status", "200")])
        XCTAssertEqual(metrics.value(Metrics.Families.dropped), 8)
        XCTAssertTrue(metrics.exposition().contains("presignd_metrics_dropped_series_total 8\n"))
    }

    func testCountsFromManyThreadsAllArrive() {
        let metrics = Metrics(table: MetricsTable(slots: 256))
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for index in 0..<5_000 {
                metrics.count(Metrics.Families.requests, [("route", "/r\(index % 7)"), ("status", "200")])
                metrics.observe(Metrics.Families.duration, [("route", "/r\(index % 7)")], seconds: 0.002)
            }
            _ = thread
        }
        var total: Int64 = 0
        for route in 0..<7 { total += metrics.value(Metrics.Families.requests, [("route", "/r\(route)"), ("status", "200")]) }
        XCTAssertEqual(total, 40_000)
        XCTAssertTrue(metrics.exposition().contains(#"presignd_http_request_duration_seconds_count{route="/r0"} 5720"#))
    }

    func testHistogramBucketsAreCumulativeWithSumInSeconds() {
        let metrics = Metrics(table: MetricsTable(slots: 64))
        for seconds in [0.0004, 0.003, 0.003, 0.2, 30] {
            metrics.observe(Metrics.Families.duration, [("route", "/api/uploads/presign")], seconds: seconds)
        }
        let text = metrics.exposition()
        let prefix = "presignd_http_request_duration_seconds"
        XCTAssertTrue(text.contains("# TYPE \(prefix) histogram\n"))
        XCTAssertTrue(text.contains(#"\#(prefix)_bucket{route="/api/uploads/presign",le="0.0005"} 1"#))
        XCTAssertTrue(text.contains(#"\#(prefix)_bucket{route="/api/uploads/presign",le="0.0025"} 1"#))
        XCTAssertTrue(text.contains(#"\#(prefix)_bucket{route="/api/uploads/presign",le="0.005"} 3"#))
        XCTAssertTrue(text.contains(#"\#(prefix)_bucket{route="/api/uploads/presign",le="10"} 4"#))
        XCTAssertTrue(text.contains(#"\#(prefix)_bucket{route="/api/uploads/presign",le="+Inf"} 5"#))
        XCTAssertTrue(text.contains(#"\#(prefix)_sum{route="/api/uploads/presign"} 30.206400"#))
        XCTAssertTrue(text.contains(#"\#(prefix)_count{route="/api/uploads/presign"} 5"#))
    }

    func testGaugesGoDownAndLabelValuesAreEscaped() {
        let metrics = Metrics(table: MetricsTable(slots: 64))
        metrics.adjust(Metrics.Families.dbInUse, [("worker", "0")], by: 3)
        metrics.adjust(Metrics.Families.dbInUse, [("worker", "0")], by: -5)
        metrics.set(Metrics.Families.buildInfo, [("version", #"1.0 "x"\y"#)], to: 1)
        let text = metrics.exposition()
        XCTAssertTrue(text.contains(#"presignd_db_connections_in_use{worker="0"} -2"#), text)
        XCTAssertTrue(text.contains(#"presignd_build_info{version="1.0 \"x\"\\y"} 1"#), text)
    }

    func testExpositionHasHelpAndTypeOncePerFamilyAndEndsLinesWithNewline() {
        let metrics = Metrics(table: MetricsTable(slots: 64))
        metrics.count(Metrics.Families.requests, [("route", "/a"), ("status", "200")])
        metrics.count(Metrics.Families.requests, [("route", "/b"), ("status", "500")], by: 2)
        metrics.count(Metrics.Families.restarts)
        let text = metrics.exposition()
        XCTAssertEqual(text.components(separatedBy: "# TYPE presignd_http_requests_total counter\n").count, 2)
        XCTAssertTrue(text.contains("presignd_worker_restarts_total 1\n"))
        XCTAssertTrue(text.contains(#"presignd_http_requests_total{route="/b",status="500"} 2"#))
        XCTAssertTrue(text.hasSuffix("\n"))
        XCTAssertEqual(Metrics.off.exposition(), "")
    }

    func testRefusalReasonsAreTheRefusalsNames() {
        XCTAssertEqual(BearerError.reason(of: BearerError.invalidToken(.expired)), "expired")
        XCTAssertEqual(BearerError.reason(of: BearerError.invalidToken(.badSignature)), "badSignature")
        XCTAssertEqual(BearerError.reason(of: BearerError.invalidToken(.keysUnavailable)), "keysUnavailable")
        XCTAssertEqual(BearerError.reason(of: BearerError.missingToken()), "missing_token")
        for refusal in JWTRefusal.allCases {
            XCTAssertEqual(BearerError.reason(of: BearerError.invalidToken(refusal)), String(describing: refusal))
        }
    }
}
