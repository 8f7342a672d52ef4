import PresigndCore

/// One line per event, handed to a sink the executable provides (stderr, which nginx and
/// systemd both collect). Callers pass only what is safe to log: never tokens, secrets,
/// signatures or signed URLs.
public struct Logger: Sendable {
    public enum Level: String, Sendable { case info, warning, error }

    let sink: @Sendable (String) -> Void
    /// When set, identical lines are throttled (see `LogThrottle`); shared by every copy.
    let throttle: LogThrottle?

    public init(sink: @escaping @Sendable (String) -> Void, throttle: LogThrottle? = nil) {
        self.sink = sink
        self.throttle = throttle
    }

    /// A logger that drops everything, for tests that do not look at logs.
    public static let discarding = Logger { _ in }

    public func log(_ level: Level, _ message: String) {
        let line = "presignd \(level.rawValue): \(message)"
        guard let throttle else { return sink(line) }
        for admitted in throttle.admit(line) { sink(admitted) }
    }

    public func info(_ message: String) { log(.info, message) }
    public func warning(_ message: String) { log(.warning, message) }
    public func error(_ message: String) { log(.error, message) }
}
