import PresigndApp
import PresigndSupport
import Synchronization
import XCTest

/// Issue 13, defect 4: a 10 s database outage wrote 80,854 identical warning lines.
final class LogThrottleTests: XCTestCase {
    final class SteppedClock: Clock {
        let time = Atomic<Int64>(1_773_500_000)
        func now() -> UnixSeconds { time.load(ordering: .relaxed) }
        func advance(_ seconds: Int64) { time.add(seconds, ordering: .relaxed) }
    }

    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
        func append(_ line: String) { lines.withLock { $0.append(line) } }
    }

    func testRegressionRepeatedLinesAreThrottledToOneSummaryPerInterval() {
        let clock = SteppedClock(), out = Lines()
        let logger = Logger(sink: out.append, throttle: LogThrottle(clock: clock, interval: 10))
        for _ in 0..<80_000 { logger.warning("database unavailable: connection refused") }
        XCTAssertEqual(out.all, ["presignd warning: database unavailable: connection refused"], "the first line goes out at once")
        logger.warning("another problem")
        XCTAssertEqual(out.all.count, 2, "a different line is not held back")
        clock.advance(10)
        logger.warning("database unavailable: connection refused")
        XCTAssertEqual(Array(out.all.dropFirst(2)), [
            "presignd warning: database unavailable: connection refused (repeated 79999 more times in 10 s)",
            "presignd warning: database unavailable: connection refused",
        ])
        for _ in 0..<5 { logger.warning("database unavailable: connection refused") }
        clock.advance(10)
        logger.info("database is back")
        XCTAssertEqual(Array(out.all.dropFirst(4)), [
            "presignd warning: database unavailable: connection refused (repeated 5 more times in 10 s)",
            "presignd info: database is back",
        ])
    }

    func testSingleLinesHaveNoSummaryAndUnthrottledLoggerWritesEverything() {
        let clock = SteppedClock(), out = Lines()
        let throttle = LogThrottle(clock: clock, interval: 10)
        let logger = Logger(sink: out.append, throttle: throttle)
        logger.error("once")
        clock.advance(11)
        XCTAssertEqual(throttle.flush(), [])
        logger.error("once")
        XCTAssertEqual(out.all, ["presignd error: once", "presignd error: once"])
        let plain = Lines()
        let unthrottled = Logger(sink: plain.append)
        for _ in 0..<3 { unthrottled.warning("x") }
        XCTAssertEqual(plain.all.count, 3)
    }

    func testDistinctLinesBeyondCapacityAreWrittenUnthrottled() {
        let out = Lines()
        let logger = Logger(sink: out.append, throttle: LogThrottle(clock: SteppedClock(), interval: 10, capacity: 2))
        for i in 0..<4 { logger.warning("line \(i)"); logger.warning("line \(i)") }
        XCTAssertEqual(out.all.count, 2 + 2 * 2, "two tracked lines throttled, the other two not")
    }

    /// Regression (attack campaign): the summary of lines held back was written with the
    /// context of whichever later request flushed it (its route, user and request id).
    func testRegressionASummaryCarriesNoOtherRequestsContext() throws {
        let clock = SteppedClock()
        let out = Lines()
        let logger = Logger(sink: { out.append($0) }, throttle: LogThrottle(clock: clock, interval: 10), format: .json, time: { "t" })
        LogContext.$current.withValue(LogContext(requestID: "first", route: "/api/a", userID: "alice")) {
            logger.warning("database unavailable: timeout")
            logger.warning("database unavailable: timeout")
        }
        clock.advance(11)
        LogContext.$current.withValue(LogContext(requestID: "later", route: "/api/b", userID: "bob")) {
            logger.warning("object store unreachable")
        }
        let lines = try out.all.map { try JSONParser().parse(Array($0.utf8)) }
        XCTAssertEqual(lines.count, 3, "\(out.all)")
        XCTAssertEqual(lines[0]["request_id"]?.stringValue, "first")
        XCTAssertEqual(lines[1]["event"]?.stringValue, "database unavailable: timeout (repeated 1 more time in 10 s)")
        XCTAssertNil(lines[1]["request_id"], "a summary counts lines of other requests")
        XCTAssertNil(lines[1]["user_id"])
        XCTAssertNil(lines[1]["route"])
        XCTAssertEqual(lines[2]["event"]?.stringValue, "object store unreachable")
        XCTAssertEqual(lines[2]["request_id"]?.stringValue, "later")
        XCTAssertEqual(lines[2]["user_id"]?.stringValue, "bob")
    }
}
