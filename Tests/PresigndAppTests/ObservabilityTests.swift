import PresigndApp
import PresigndSupport
import PresigndHTTP
import PresigndMetrics
import XCTest

/// Request ids, metrics by route and status, JWT refusals, the metrics route's allow-list and
/// JSON log lines, through the application with no socket.
final class ObservabilityTests: XCTestCase {
    struct TokenIsUserID: Authenticator {
        func authenticate(_ request: HTTPRequest, now: UnixSeconds) throws(APIError) -> AuthenticatedUser {
            guard let header = request.headers["Authorization"], header.hasPrefix("Bearer ") else {
                throw APIError(status: 401, code: "invalid_token", message: "a bearer token is required")
            }
            guard header != "Bearer expired" else { throw APIError(status: 401, code: "token_expired", message: "the token has expired") }
            return AuthenticatedUser(id: String(header.dropFirst(7)))
        }
    }

    final class Lines: @unchecked Sendable { var all: [String] = [] }

    func makeApp(metrics: Metrics, lines: Lines = Lines(), format: Logger.Format = .text, requests: Logger.Requests = .errors,
                 allowed: [String] = ["127.0.0.0/8"]) -> Application {
        final class Ticks: @unchecked Sendable { var seconds = 0.0 }
        let ticks = Ticks()
        let routes = HealthRoutes.routes() + MetricsRoutes.routes(metrics: metrics, allowed: allowed.compactMap { IPRange(cidr: $0) }) + [
            Route("GET", "/api/documents/{id}", access: .user, handler: Endpoint { ctx in
                guard ctx.parameter("id") == "known" else { throw APIError.notFound("no document known to you has this id") }
                return .json(["id": "known"])
            }),
        ]
        return Application(routes: routes, authenticator: TokenIsUserID(), clock: FixedClock(1_773_500_966),
                           logger: Logger(sink: { lines.all.append($0) }, format: format, requests: requests, time: { "2026-12-01T00:00:00.000Z" }),
                           metrics: metrics, monotonic: { ticks.seconds += 0.003; return ticks.seconds })
    }

    func get(_ path: String, token: String? = "alice", requestID: String? = nil, from address: String = "127.0.0.1") -> HTTPRequest {
        var headers = HTTPHeaders()
        if let token { headers.add("Authorization", "Bearer \(token)") }
        if let requestID { headers.add("X-Request-ID", requestID) }
        return HTTPRequest(method: "GET", path: path, headers: headers, remoteAddress: address)
    }

    func testRequestIDFromNginxIsEchoedAndNamedInTheErrorBody() throws {
        let app = makeApp(metrics: .off)
        let response = app.handle(get("/api/documents/other", requestID: "5f1e0c0ffee0c0ffee0c0ffee0c0ffee"))
        XCTAssertEqual(response.status, 404)
        XCTAssertEqual(response.headers["X-Request-ID"], "5f1e0c0ffee0c0ffee0c0ffee0c0ffee")
        let body = try JSONParser().parse(response.body)
        XCTAssertEqual(body["error"]?["request_id"]?.stringValue, "5f1e0c0ffee0c0ffee0c0ffee0c0ffee")

        let made = app.handle(get("/healthz", token: nil, requestID: "not a valid id"))
        let id = try XCTUnwrap(made.headers["X-Request-ID"])
        XCTAssertEqual(id.utf8.count, 32)
        XCTAssertNotEqual(app.handle(get("/healthz", token: nil)).headers["X-Request-ID"], id)
    }

    func testRequestsAreCountedByRoutePatternAndStatusWithDurations() {
        let metrics = Metrics(table: MetricsTable(slots: 128))
        let app = makeApp(metrics: metrics)
        for _ in 0..<3 { _ = app.handle(get("/api/documents/known")) }
        _ = app.handle(get("/api/documents/other"))
        _ = app.handle(get("/nowhere"))
        let requests = Metrics.Families.requests
        XCTAssertEqual(metrics.value(requests, [("route", "/api/documents/{id}"), ("status", "200")]), 3)
        XCTAssertEqual(metrics.value(requests, [("route", "/api/documents/{id}"), ("status", "404")]), 1)
        XCTAssertEqual(metrics.value(requests, [("route", "unmatched"), ("status", "404")]), 1)
        XCTAssertEqual(metrics.value(Metrics.Families.duration, [("route", "/api/documents/{id}")]), 4)
        // Each request took 3 ms on the test's clock: all in the 5 ms bucket.
        XCTAssertTrue(metrics.exposition().contains(#"presignd_http_request_duration_seconds_bucket{route="/api/documents/{id}",le="0.0025"} 0"#))
        XCTAssertTrue(metrics.exposition().contains(#"presignd_http_request_duration_seconds_bucket{route="/api/documents/{id}",le="0.005"} 4"#))
    }

    func testJWTRefusalsAreCountedByReason() {
        let metrics = Metrics(table: MetricsTable(slots: 128))
        let app = makeApp(metrics: metrics)
        _ = app.handle(get("/api/documents/known", token: nil))
        _ = app.handle(get("/api/documents/known", token: "expired"))
        _ = app.handle(get("/api/documents/known", token: "expired"))
        XCTAssertEqual(metrics.value(Metrics.Families.jwtRefusals, [("reason", "invalid_token")]), 1)
        XCTAssertEqual(metrics.value(Metrics.Families.jwtRefusals, [("reason", "token_expired")]), 2)
        XCTAssertEqual(metrics.value(Metrics.Families.requests, [("route", "/api/documents/{id}"), ("status", "401")]), 3)
    }

    func testMetricsRouteAnswersOnlyTheAllowList() {
        let metrics = Metrics(table: MetricsTable(slots: 128))
        let app = makeApp(metrics: metrics, allowed: ["127.0.0.0/8", "10.1.0.0/16"])
        _ = app.handle(get("/healthz", token: nil))
        let local = app.handle(get("/metrics", token: nil))
        XCTAssertEqual(local.status, 200)
        XCTAssertEqual(local.headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8")
        XCTAssertTrue(String(decoding: local.body, as: UTF8.self).contains(#"presignd_http_requests_total{route="/healthz",status="200"} 1"#))
        XCTAssertEqual(app.handle(get("/metrics", token: nil, from: "10.1.2.3")).status, 200)
        XCTAssertEqual(app.handle(get("/metrics", token: nil, from: "192.0.2.7")).status, 404)
        XCTAssertEqual(app.handle(get("/metrics", token: nil, from: "::ffff:192.0.2.7")).status, 404)
        XCTAssertEqual(makeApp(metrics: .off).handle(get("/metrics", token: nil)).status, 404)
    }

    func testJSONLinesCarryRequestIDRouteUserStatusAndErrorCode() throws {
        let lines = Lines()
        let app = makeApp(metrics: .off, lines: lines, format: .json, requests: .all)
        _ = app.handle(get("/api/documents/other", requestID: "req-1"))
        _ = app.handle(get("/api/documents/known", requestID: "req-2"))
        XCTAssertEqual(lines.all.count, 2)
        let refused = try JSONParser().parse(Array(lines.all[0].utf8))
        XCTAssertEqual(refused["time"]?.stringValue, "2026-12-01T00:00:00.000Z")
        XCTAssertEqual(refused["level"]?.stringValue, "warning")
        XCTAssertEqual(refused["event"]?.stringValue, "request")
        XCTAssertEqual(refused["route"]?.stringValue, "/api/documents/{id}")
        XCTAssertEqual(refused["status"]?.int64Value, 404)
        XCTAssertEqual(refused["duration_ms"]?.doubleValue, 3)
        XCTAssertEqual(refused["user_id"]?.stringValue, "alice")
        XCTAssertEqual(refused["request_id"]?.stringValue, "req-1")
        XCTAssertEqual(refused["error_code"]?.stringValue, "not_found")
        let served = try JSONParser().parse(Array(lines.all[1].utf8))
        XCTAssertEqual(served["status"]?.int64Value, 200)
        XCTAssertNil(served["error_code"])
        XCTAssertFalse(lines.all.joined().contains("Bearer"))
    }

    func testEventsLoggedDuringARequestNameIt() throws {
        let lines = Lines()
        let logger = Logger(sink: { lines.all.append($0) }, format: .json, time: { "t" })
        LogContext.$current.withValue(LogContext(requestID: "abc")) { logger.warning("database unavailable: timeout") }
        logger.info("reload complete")
        let during = try JSONParser().parse(Array(lines.all[0].utf8))
        XCTAssertEqual(during["event"]?.stringValue, "database unavailable: timeout")
        XCTAssertEqual(during["request_id"]?.stringValue, "abc")
        XCTAssertEqual(lines.all[1], #"{"time":"t","level":"info","event":"reload complete"}"#)
    }

    func testOnlyFailuresGetARequestLineByDefault() {
        let lines = Lines()
        let app = makeApp(metrics: .off, lines: lines)
        _ = app.handle(get("/api/documents/known"))
        XCTAssertTrue(lines.all.isEmpty)
        _ = app.handle(get("/api/documents/other", requestID: "r9"))
        XCTAssertEqual(lines.all, ["presignd warning: GET /api/documents/{id} 404 3.0 ms not_found user=alice request=r9"])
    }

    func testErrorBodyCarriesTheRequestIDInsideAScope() throws {
        var scope = RequestContext(request: HTTPRequest(method: "GET", path: "/"), requestID: "abc-123", now: 0)
        let response = scope.respond(to: APIError.badRequest("invalid_size", "size must be positive"))
        XCTAssertEqual(String(decoding: response.body, as: UTF8.self),
                       #"{"error":{"code":"invalid_size","message":"size must be positive","request_id":"abc-123"}}"#)
        XCTAssertEqual(scope.errorCode, "invalid_size")
        XCTAssertFalse(String(decoding: APIError.notFound().response.body, as: UTF8.self).contains("request_id"))
    }

    func testRequestIDsAreKeptWhenPlausibleAndMadeOtherwise() {
        let requestIDs = RequestIDs()
        XCTAssertEqual(requestIDs.id(from: "0f3c2a9e1b7d4c5e8f6a0b1c2d3e4f5a"), "0f3c2a9e1b7d4c5e8f6a0b1c2d3e4f5a")
        for bad in [nil, "", "has space", "quote\"", String(repeating: "a", count: 129), "line\nbreak"] {
            let made = requestIDs.id(from: bad)
            XCTAssertEqual(made.utf8.count, 32)
            XCTAssertTrue(made.utf8.allSatisfy { ASCII.isAlphanumeric($0) })
        }
        XCTAssertNotEqual(requestIDs.id(from: nil), requestIDs.id(from: nil))
    }
}
