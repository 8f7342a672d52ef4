import PresigndCore

/// One line per event, handed to a sink the executable provides (stderr, which nginx and
/// systemd both collect), as text or as one JSON object per line (`PRESIGND_LOG_FORMAT=json`).
/// Lines written while a request is answered carry its request id, route and user. Callers pass
/// only what is safe to log: never tokens, secrets, signatures or signed URLs.
public struct Logger: Sendable {
    public enum Level: String, Sendable { case info, warning, error }

    public enum Format: String, Sendable { case text, json }

    /// Which answered requests get a line of their own (`PRESIGND_ACCESS_LOG`): nginx's access
    /// log has every request with the same request id, so by default only failures are written.
    public enum Requests: String, Sendable { case off, errors, all }

    let sink: @Sendable (String) -> Void
    /// When set, identical lines are throttled (see `LogThrottle`); shared by every copy.
    let throttle: LogThrottle?
    public let format: Format
    public let requests: Requests
    let time: @Sendable () -> String

    public init(sink: @escaping @Sendable (String) -> Void, throttle: LogThrottle? = nil, format: Format = .text,
                requests: Requests = .errors, time: @escaping @Sendable () -> String = WallTime.iso8601Milliseconds) {
        self.sink = sink
        self.throttle = throttle
        self.format = format
        self.requests = requests
        self.time = time
    }

    /// A logger that drops everything, for tests that do not look at logs.
    public static let discarding = Logger(sink: { _ in }, requests: .off)

    public func log(_ level: Level, _ message: String) {
        let scope = RequestScope.current
        guard let throttle else { return sink(line(level, message, scope: scope)) }
        // Throttled by level and message, so lines differing only in time or request id still count as repeats.
        for admitted in throttle.admit("\(level.rawValue): \(message)") {
            let split = admitted.firstRange(of: ": ")
            let admittedLevel = split.flatMap { Level(rawValue: String(admitted[..<$0.lowerBound])) } ?? level
            sink(line(admittedLevel, split.map { String(admitted[$0.upperBound...]) } ?? admitted, scope: scope))
        }
    }

    public func info(_ message: String) { log(.info, message) }
    public func warning(_ message: String) { log(.warning, message) }
    public func error(_ message: String) { log(.error, message) }

    /// The answered request's line, when `requests` asks for it: 5xx at level error, 4xx at warning.
    public func request(_ scope: RequestScope, method: String, status: Int, seconds: Double) {
        guard requests == .all || (requests == .errors && status >= 400) else { return }
        let level: Level = status >= 500 ? .error : status >= 400 ? .warning : .info
        let milliseconds = Double(Int((seconds * 1_000_000).rounded())) / 1000
        switch format {
        case .text:
            var text = "presignd \(level.rawValue): \(method) \(scope.route) \(status) \(milliseconds) ms"
            if let code = scope.errorCode { text += " \(code)" }
            if let user = scope.userID { text += " user=\(Logger.printable(user))" }
            sink(text + " request=\(scope.requestID)")
        case .json:
            var object: JSONObject = ["time": .string(time()), "level": .string(level.rawValue), "event": "request",
                                      "method": .string(method), "route": .string(scope.route), "status": .int(Int64(status)),
                                      "duration_ms": .double(milliseconds)]
            if let user = scope.userID { object["user_id"] = .string(user) }
            object["request_id"] = .string(scope.requestID)
            if let code = scope.errorCode { object["error_code"] = .string(code) }
            sink(JSONValue.object(object).serialized())
        }
    }

    func line(_ level: Level, _ message: String, scope: RequestScope?) -> String {
        switch format {
        case .text:
            guard let scope else { return "presignd \(level.rawValue): \(message)" }
            return "presignd \(level.rawValue): \(message) [request \(scope.requestID)]"
        case .json:
            var object: JSONObject = ["time": .string(time()), "level": .string(level.rawValue), "event": .string(message)]
            if let scope {
                object["route"] = .string(scope.route)
                if let user = scope.userID { object["user_id"] = .string(user) }
                object["request_id"] = .string(scope.requestID)
            }
            return JSONValue.object(object).serialized()
        }
    }

    /// A user id in a text line: visible ASCII only (JSON lines escape instead).
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.value > 0x20 && $0.value < 0x7F }.prefix(200)))
    }
}
