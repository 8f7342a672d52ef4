import PresigndHTTP
import PresigndMetrics
package import PresigndSupport

/// Where the FastCGI server listens.
package enum ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// A unix socket path, created with `socketMode` so nginx's user can connect.
    case unixSocket(path: String)
    /// A TCP address; only numeric IPv4 hosts (`127.0.0.1`) and `localhost` are accepted.
    case tcp(host: String, port: Int)
    /// A listening socket the parent left open: systemd's fd 3 (`LISTEN_FDS`) or spawn-fcgi's fd 0.
    case inherited

    /// Parses `/run/presignd.sock`, `unix:/path`, `127.0.0.1:9000`, `:9000` or `inherited`.
    package static func parse(_ text: String) -> ListenAddress? {
        if text == "inherited" || text == "-" { return .inherited }
        if text.hasPrefix("unix:") { return parse(String(text.dropFirst(5))).flatMap { if case .unixSocket = $0 { $0 } else { nil } } }
        if text.hasPrefix("/") {
            // sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
            return text.utf8.count <= 107 ? .unixSocket(path: text) : nil
        }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (1...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.isEmpty || host == "localhost" { host = "127.0.0.1" }
        guard isIPv4Literal(host) else { return nil }
        return .tcp(host: host, port: port)
    }

    static func isIPv4Literal(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && (Int(part).map { $0 <= 255 } ?? false)
        }
    }

    package var description: String {
        switch self {
        case .unixSocket(let path): return "unix:\(path)"
        case .tcp(let host, let port): return "\(host):\(port)"
        case .inherited: return "inherited"
        }
    }
}

/// How presignd serves: where it listens, how many processes and threads, and request limits.
/// Read from `PRESIGND_*` environment variables; `presignd serve` flags override them.
package struct ServerConfig: Sendable, Equatable, ConfigSection {
    package var listen: ListenAddress
    /// Permission bits of a unix socket, e.g. 0o660 so nginx's group can connect.
    package var socketMode: Int
    package var workers: Int
    /// Threads per worker, each serving one FastCGI connection at a time (kept-alive or not).
    package var threads: Int
    /// Largest request body accepted; larger ones get 413 before the body is read.
    package var bodyLimit: Int
    /// Largest total size of the request's params (headers, path, query); larger get 431.
    package var headerLimit: Int
    /// Seconds a stopping worker waits for in-flight requests before giving up on them.
    package var drainTimeout: Int
    /// Seconds a request that has started (params and body) may take to arrive in full; a
    /// connection that stalls longer is closed. Idle kept-alive connections are not timed.
    package var readTimeout: Int

    package init(
        listen: ListenAddress = .inherited, socketMode: Int = 0o660, workers: Int = 1, threads: Int = 8,
        bodyLimit: Int = 65536, headerLimit: Int = 32768, drainTimeout: Int = 10, readTimeout: Int = 5
    ) {
        self.listen = listen
        self.socketMode = socketMode
        self.workers = workers
        self.threads = threads
        self.bodyLimit = bodyLimit
        self.headerLimit = headerLimit
        self.drainTimeout = drainTimeout
        self.readTimeout = readTimeout
    }

    /// The command-line flags of `presignd serve` and the variable each one overrides.
    package static let flags: [(flag: String, variable: String)] = [
        ("--listen", "PRESIGND_LISTEN"),
        ("--socket-mode", "PRESIGND_SOCKET_MODE"),
        ("--workers", "PRESIGND_WORKERS"),
        ("--threads", "PRESIGND_THREADS"),
        ("--body-limit", "PRESIGND_BODY_LIMIT"),
        ("--header-limit", "PRESIGND_HEADER_LIMIT"),
        ("--drain-timeout", "PRESIGND_DRAIN_TIMEOUT"),
        ("--read-timeout", "PRESIGND_READ_TIMEOUT"),
    ]

    /// Reads the environment, then lets `arguments` (`--workers 4` or `--workers=4`) override it.
    /// Errors name the flag when the bad value came from one, else the variable.
    package static func parse(environment: Environment, arguments: [String] = [], cpuCount: Int) throws(ConfigError) -> ServerConfig {
        var variables = environment.variables
        var fromFlag: [String: String] = [:]
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let (name, inlineValue) = splitFlag(argument)
            guard let entry = flags.first(where: { $0.flag == name }) else {
                throw ConfigError(variable: argument, problem: "unknown option; expected one of \(flags.map(\.flag).joined(separator: ", "))")
            }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else {
                guard index + 1 < arguments.count else { throw ConfigError(variable: name, problem: "needs a value") }
                index += 1
                value = arguments[index]
            }
            variables[entry.variable] = value
            fromFlag[entry.variable] = entry.flag
            index += 1
        }
        let problems = ConfigProblems()
        var config = ServerConfig()
        do {
            config = try parse(Environment(variables, readFile: { _ in nil }, reportingTo: problems), cpuCount: cpuCount)
        } catch {
            problems.report(error)
        }
        for problem in problems.take() {
            try environment.refuse(ConfigError(variable: fromFlag[problem.variable] ?? problem.variable, problem: problem.problem))
        }
        return config
    }

    static func splitFlag(_ argument: String) -> (String, String?) {
        guard let equals = argument.firstIndex(of: "=") else { return (argument, nil) }
        return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
    }

    static func parse(_ environment: Environment, cpuCount: Int) throws(ConfigError) -> ServerConfig {
        var config = ServerConfig()
        if let text = environment.string("PRESIGND_LISTEN") {
            if let listen = ListenAddress.parse(text) {
                config.listen = listen
            } else {
                try environment.refuse(ConfigError(
                    variable: "PRESIGND_LISTEN",
                    problem: "expected a unix socket path (/run/presignd.sock), 127.0.0.1:PORT or inherited, got \"\(text)\""))
            }
        }
        if let text = environment.string("PRESIGND_SOCKET_MODE") {
            if text.allSatisfy({ ("0"..."7").contains($0) }), text.count <= 4, let mode = Int(text, radix: 8) {
                config.socketMode = mode
            } else {
                try environment.refuse(ConfigError(variable: "PRESIGND_SOCKET_MODE", problem: "expected octal permission bits such as 0660, got \"\(text)\""))
            }
        }
        config.workers = try environment.integer("PRESIGND_WORKERS", default: max(1, cpuCount), range: 1...256)
        config.threads = try environment.integer("PRESIGND_THREADS", default: 8, range: 1...256)
        config.bodyLimit = try environment.integer("PRESIGND_BODY_LIMIT", default: 65536, range: 0...(1 << 30))
        config.headerLimit = try environment.integer("PRESIGND_HEADER_LIMIT", default: 32768, range: 1024...(1 << 20))
        config.drainTimeout = try environment.integer("PRESIGND_DRAIN_TIMEOUT", default: 10, range: 0...3600)
        config.readTimeout = try environment.integer("PRESIGND_READ_TIMEOUT", default: 5, range: 1...3600)
        return config
    }

    package var entries: [ConfigEntry] {
        [
            ConfigEntry("PRESIGND_LISTEN", listen.description),
            ConfigEntry("PRESIGND_SOCKET_MODE", "0" + String(socketMode, radix: 8)),
            ConfigEntry("PRESIGND_WORKERS", String(workers)),
            ConfigEntry("PRESIGND_THREADS", String(threads)),
            ConfigEntry("PRESIGND_BODY_LIMIT", String(bodyLimit)),
            ConfigEntry("PRESIGND_HEADER_LIMIT", String(headerLimit)),
            ConfigEntry("PRESIGND_DRAIN_TIMEOUT", String(drainTimeout)),
            ConfigEntry("PRESIGND_READ_TIMEOUT", String(readTimeout)),
        ]
    }
}
