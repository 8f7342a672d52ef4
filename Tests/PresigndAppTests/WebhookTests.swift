import PresigndApp
import PresigndSupport
import PresigndUploads
import XCTest

final class WebhookTests: XCTestCase {
    /// The Standard Webhooks specification's own example (standard-webhooks/standard-webhooks,
    /// libraries' test suites; also what the `standardwebhooks` package on PyPI, 1.3.0, signs).
    func testSignatureMatchesTheSpecificationsExample() throws {
        let secret = try XCTUnwrap(WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let signature = WebhookSignature.signatures(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330,
                                                    body: Array(#"{"test": 2432232314}"#.utf8), secrets: [secret])
        XCTAssertEqual(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    func testEverySecretSignsDuringARotation() throws {
        let old = try XCTUnwrap(WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let new = WebhookSecret(key: Array(repeating: 7, count: 32))
        let headers = WebhookSignature.headers(id: "e1", timestamp: 1_700_000_000, body: Array("{}".utf8), secrets: [old, new])
        XCTAssertEqual(headers.map(\.name), ["webhook-id", "webhook-timestamp", "webhook-signature"])
        XCTAssertEqual(headers[1].value, "1700000000")
        let parts = headers[2].value.split(separator: " ")
        XCTAssertEqual(parts.count, 2)
        XCTAssertTrue(parts.allSatisfy { $0.hasPrefix("v1,") })
        XCTAssertNotEqual(parts[0], parts[1])
    }

    func testSecretsMustBeWhsecBase64OfEnoughBytes() {
        XCTAssertNil(WebhookSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), "no whsec_ prefix")
        XCTAssertNil(WebhookSecret("whsec_c2hvcnQ="), "5 bytes is too short a key")
        XCTAssertNil(WebhookSecret("whsec_not base64!"))
        XCTAssertEqual(WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?.key.count, 24)
    }

    func testBackOffDoublesWithJitterInItsUpperHalfAndStopsAtTheMaximum() {
        let schedule = RetrySchedule(baseMilliseconds: 1_000, maximumMilliseconds: 60_000)
        XCTAssertEqual(schedule.delayMilliseconds(afterAttempt: 1, random: 0), 500)
        XCTAssertEqual(schedule.delayMilliseconds(afterAttempt: 1, random: 0.999_999), 999)
        XCTAssertEqual(schedule.delayMilliseconds(afterAttempt: 3, random: 0), 2_000)
        XCTAssertEqual(schedule.delayMilliseconds(afterAttempt: 30, random: 0), 30_000)
        XCTAssertEqual(schedule.delayMilliseconds(afterAttempt: 1_000, random: 0.999_999), 59_999)
        for attempt in 1...40 {
            let delay = schedule.delayMilliseconds(afterAttempt: attempt, random: Double.random(in: 0..<1))
            XCTAssertTrue((500...60_000).contains(delay), "attempt \(attempt): \(delay)")
        }
    }

    func testEventTypesComeFromTheAuditActionsOfTheChanges() {
        XCTAssertEqual(DocumentEventType(.uploadConfirm), .uploadReady)
        XCTAssertEqual(DocumentEventType(.uploadComplete), .uploadReady)
        XCTAssertEqual(DocumentEventType(.uploadReject), .uploadRejected)
        XCTAssertEqual(DocumentEventType(.documentUnshare), .shareRevoked)
        XCTAssertNil(DocumentEventType(.uploadPresign))
        XCTAssertNil(DocumentEventType(.documentDownload))
        // Every event type is reachable from some audit action.
        let reachable = Set(AuditAction.allCases.compactMap(DocumentEventType.init))
        XCTAssertEqual(reachable, Set(DocumentEventType.allCases))
    }

    func testConfigurationParsesEndpointsWithFilters() throws {
        let json = #"{"app": {"url": "https://app.example/hooks", "secrets": ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], "events": ["upload.ready"], "purposes": ["avatar"]}, "audit": {"url": "http://127.0.0.1:9/x", "secrets": ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]}}"#
        let config = try WebhookConfig.from(Environment(["PRESIGND_WEBHOOKS": json]))
        XCTAssertEqual(config.endpoints.map(\.name), ["app", "audit"])
        XCTAssertTrue(config.eventsEnabled, "webhooks turn events on")
        XCTAssertTrue(config.endpoints[0].wants(.uploadReady, purpose: "avatar"))
        XCTAssertFalse(config.endpoints[0].wants(.uploadReady, purpose: "document"))
        XCTAssertFalse(config.endpoints[0].wants(.documentDeleted, purpose: "avatar"))
        XCTAssertTrue(config.endpoints[1].wants(.shareRevoked, purpose: "anything"))
        XCTAssertFalse(config.entries.contains { $0.value.contains("whsec_") }, "secrets never printed")
        XCTAssertFalse(try WebhookConfig.from(Environment([:])).eventsEnabled)
        XCTAssertTrue(try WebhookConfig.from(Environment(["PRESIGND_EVENTS": "on"])).eventsEnabled)
    }

    func testBadEndpointsAreRefusedNamingWhatToFix() {
        func problem(_ json: String, _ extra: [String: String] = [:]) -> String {
            do {
                _ = try WebhookConfig.from(Environment(["PRESIGND_WEBHOOKS": json].merging(extra) { $1 }))
                return "accepted"
            } catch { return error.description }
        }
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        XCTAssertTrue(problem("[1]").contains("expected a JSON object of endpoints"))
        XCTAssertTrue(problem(#"{"a": {"url": "ftp://x", "secrets": ["\#(secret)"]}}"#).contains("\"url\" must be an http:// or https:// URL"))
        XCTAssertTrue(problem(#"{"a": {"url": "https://x", "secrets": []}}"#).contains("\"secrets\" must be a non-empty list"))
        XCTAssertTrue(problem(#"{"a": {"url": "https://x", "secrets": ["hunter2"]}}"#).contains("whsec_"))
        XCTAssertFalse(problem(#"{"a": {"url": "https://x", "secrets": ["hunter2"]}}"#).contains("hunter2"), "a bad secret is not echoed")
        XCTAssertTrue(problem(#"{"a": {"url": "https://x", "secrets": ["\#(secret)"], "events": ["upload.done"]}}"#).contains("unknown event type \"upload.done\""))
        XCTAssertTrue(problem(#"{"a": {"url": "https://x", "secrets": ["\#(secret)"], "retries": 3}}"#).contains("unknown field \"retries\""))
        XCTAssertTrue(problem(#"{"a b": {"url": "https://x", "secrets": ["\#(secret)"]}}"#).contains("names use only letters"))
        XCTAssertTrue(problem(#"{"a": {"url": "https://x", "secrets": ["\#(secret)"]}}"#, ["PRESIGND_EVENTS": "off"]).contains("events must be on"))
        XCTAssertTrue(problem("{}", ["PRESIGND_WEBHOOK_DELIVERY": "cron"]).contains("expected serve or separate"))
    }
}
