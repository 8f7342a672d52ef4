import PresigndHTTP
import PresigndJWT
import PresigndMetrics
import PresigndSigning
import PresigndSupport
import PresigndUploads

/// One line per event, handed to a sink the executable provides (stderr, which nginx and
/// systemd both collect), as text or as one JSON object per line (`PRESIGND_LOG_FORMAT=json`).
/// Lines written while a request is answered carry its request id, route and user. Callers pass
/// only what is safe to log: never tokens, secrets, signatures or signed URLs.
package struct Logger: Sendable {
    package enum Level: String, Sendable { case info, warning, error }

    package enum Format: String, Sendable { case text, json }

    /// Which answered requests get a line of their own (`PRESIGND_ACCESS_LOG`): nginx's access
    /// log has every request with the same request id, so by default only failures are written.
    package enum Requests: String, Sendable { case off, errors, all }

    let sink: @Sendable (String) -> Void
    /// When set, identical lines are throttled (see `LogThrottle`); shared by every copy.
    let throttle: LogThrottle?
    package let format: Format
    package let requests: Requests
    let time: @Sendable () -> String

    package init(sink: @escaping @Sendable (String) -> Void, throttle: LogThrottle? = nil, format: Format = .text,
                requests: Requests = .errors, time: @escaping @Sendable () -> String = WallTime.iso8601Milliseconds) {
        self.sink = sink
        self.throttle = throttle
        self.format = format
        self.requests = requests
        self.time = time
    }

    /// A logger that drops everything, for tests that do not look at logs.
    package static let discarding = Logger(sink: { _ in }, requests: .off)

    /// Where the product's lines go: stderr, one line per write (nginx and systemd collect it).
    @Sendable package static func standardError(_ line: String) {
        Syscall.writeAll(2, Array((line + "\n").utf8))
    }

    package func log(_ level: Level, _ message: String) {
        let context = LogContext.current
        guard let throttle else { return sink(line(level, message, context: context)) }
        // Throttled by level and message, so lines differing only in time or request id still count as repeats.
        let admitted = throttle.admit("\(level.rawValue): \(message)")
        // A summary counts lines of earlier requests: it carries no request's context, least
        // of all that of the request that happened to flush it.
        for summary in admitted.summaries {
            let split = summary.firstRange(of: ": ")
            let summaryLevel = split.flatMap { Level(rawValue: String(summary[..<$0.lowerBound])) } ?? level
            sink(line(summaryLevel, split.map { String(summary[$0.upperBound...]) } ?? summary, context: nil))
        }
        if admitted.line { sink(line(level, message, context: context)) }
    }

    package func info(_ message: String) { log(.info, message) }
    package func warning(_ message: String) { log(.warning, message) }
    package func error(_ message: String) { log(.error, message) }

    /// The answered request's line, when `requests` asks for it: 5xx at level error, 4xx at warning.
    package func request(_ context: RequestContext, method: String, status: Int, seconds: Double) {
        guard requests == .all || (requests == .errors && status >= 400) else { return }
        let level: Level = status >= 500 ? .error : status >= 400 ? .warning : .info
        let milliseconds = Double(Int((seconds * 1_000_000).rounded())) / 1000
        switch format {
        case .text:
            var text = "presignd \(level.rawValue): \(method) \(context.route) \(status) \(milliseconds) ms"
            if let code = context.errorCode { text += " \(code)" }
            if let user = context.user?.id { text += " user=\(Logger.printable(user))" }
            sink(text + " request=\(context.requestID)")
        case .json:
            var object: JSONObject = ["time": .string(time()), "level": .string(level.rawValue), "event": "request",
                                      "method": .string(method), "route": .string(context.route), "status": .int(Int64(status)),
                                      "duration_ms": .double(milliseconds)]
            if let user = context.user?.id { object["user_id"] = .string(user) }
            object["request_id"] = .string(context.requestID)
            if let code = context.errorCode { object["error_code"] = .string(code.rawValue) }
            sink(JSONValue.object(object).serialized())
        }
    }

    func line(_ level: Level, _ message: String, context: LogContext?) -> String {
        switch format {
        case .text:
            guard let context else { return "presignd \(level.rawValue): \(message)" }
            return "presignd \(level.rawValue): \(message) [request \(context.requestID)]"
        case .json:
            var object: JSONObject = ["time": .string(time()), "level": .string(level.rawValue), "event": .string(message)]
            if let context {
                object["route"] = .string(context.route)
                if let user = context.userID { object["user_id"] = .string(user) }
                object["request_id"] = .string(context.requestID)
            }
            return JSONValue.object(object).serialized()
        }
    }

    /// A user id in a text line: visible ASCII only (JSON lines escape instead).
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.value > 0x20 && $0.value < 0x7F }.prefix(200)))
    }
}

/// What a log line written during a request says about it. The pipeline binds it (a read-only
/// task-local, as swift-distributed-tracing's `ServiceContext` carries metadata to swift-log) for
/// the rest of the chain whenever it learns more (the route, the user), so a line an adapter
/// writes deep in a flow names its request without every call passing it. Only the pipeline
/// binds it; nothing writes to it.
package struct LogContext: Sendable, Equatable {
    package let requestID: String
    package let route: String
    package let userID: String?

    package init(requestID: String, route: String = "unmatched", userID: String? = nil) {
        self.requestID = requestID
        self.route = route
        self.userID = userID
    }

    @TaskLocal package static var current: LogContext?
}
