import Synchronization

/// A configuration problem, named after the variable so an operator knows what to fix.
package struct ConfigError: Error, Equatable, CustomStringConvertible, Sendable {
    package let variable: String
    package let problem: String

    package init(variable: String, problem: String) {
        self.variable = variable
        self.problem = problem
    }

    package var description: String { "\(variable): \(problem)" }
}

/// The problems a whole load of the configuration found, one per variable, in the order found.
/// An `Environment` that reports into one answers a bad value with the variable's default
/// instead of throwing, so one load names every bad variable, not the first of each section.
package final class ConfigProblems: Sendable {
    private let found = Mutex<[ConfigError]>([])

    package init() {}

    package func report(_ problem: ConfigError) {
        found.withLock { found in
            if !found.contains(where: { $0.variable == problem.variable }) { found.append(problem) }
        }
    }

    /// The problems reported since the last call, in the order found.
    package func take() -> [ConfigError] {
        found.withLock { found in
            defer { found = [] }
            return found
        }
    }
}

/// Reads configuration from environment variables (as systemd's `EnvironmentFile=` and the
/// CGI environment provide them). Secrets may also come from `NAME_FILE`, a path to a file
/// holding the value, so they need not sit in the environment.
package struct Environment: Sendable {
    package let variables: [String: String]
    package let readFile: @Sendable (String) -> String?
    /// Where a bad value is reported instead of thrown (nil: thrown).
    package let problems: ConfigProblems?

    package init(_ variables: [String: String], readFile: @escaping @Sendable (String) -> String? = { _ in nil },
                 reportingTo problems: ConfigProblems? = nil) {
        self.variables = variables
        self.readFile = readFile
        self.problems = problems
    }

    /// The same variables without a problem report: what is kept after loading.
    package var throwing: Environment { Environment(variables, readFile: readFile) }

    /// Throws `problem`, or reports it when problems are collected (the caller goes on with its default).
    package func refuse(_ problem: ConfigError) throws(ConfigError) {
        try refuse(problem, fallback: ())
    }

    /// Throws `problem`, or reports it and answers `fallback` when problems are collected.
    package func refuse<T>(_ problem: ConfigError, fallback: T) throws(ConfigError) -> T {
        guard let problems else { throw problem }
        problems.report(problem)
        return fallback
    }

    /// The value of `name`, nil when unset or empty.
    package func string(_ name: String) -> String? {
        guard let value = variables[name], !value.isEmpty else { return nil }
        return value
    }

    /// `name`'s value or, when only `name_FILE` is set, the file's content without its trailing newline.
    package func secret(_ name: String) throws(ConfigError) -> String? {
        let direct = string(name)
        let fileVariable = name + "_FILE"
        guard let path = string(fileVariable) else { return direct }
        if direct != nil {
            return try refuse(ConfigError(variable: name, problem: "set either \(name) or \(fileVariable), not both"), fallback: direct)
        }
        guard let content = readFile(path) else {
            return try refuse(ConfigError(variable: fileVariable, problem: "cannot read the file \(path)"), fallback: nil)
        }
        var value = Substring(content)
        while value.last == "\n" || value.last == "\r" { value = value.dropLast() }
        guard !value.isEmpty else {
            return try refuse(ConfigError(variable: fileVariable, problem: "the file \(path) is empty"), fallback: nil)
        }
        return String(value)
    }

    package func integer(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let text = string(name) else { return defaultValue }
        guard let value = Int(text) else {
            return try refuse(ConfigError(variable: name, problem: "expected a whole number, got \"\(text)\""), fallback: defaultValue)
        }
        guard range.contains(value) else {
            return try refuse(ConfigError(variable: name, problem: "must be between \(range.lowerBound) and \(range.upperBound), got \(value)"),
                              fallback: defaultValue)
        }
        return value
    }

    package func boolean(_ name: String, default defaultValue: Bool) throws(ConfigError) -> Bool {
        guard let text = string(name)?.lowercased() else { return defaultValue }
        switch text {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: return try refuse(ConfigError(variable: name, problem: "expected true or false, got \"\(text)\""), fallback: defaultValue)
        }
    }
}

/// One line of `presignd check-config`: secrets are shown masked, never in full.
package struct ConfigEntry: Sendable, Equatable {
    package let variable: String
    package let value: String
    package let isSecret: Bool

    package init(_ variable: String, _ value: String?, secret: Bool = false) {
        self.variable = variable
        self.isSecret = secret
        if let value {
            self.value = secret ? ConfigEntry.mask(value) : value
        } else {
            self.value = "(unset)"
        }
    }

    /// Shows only the length, so nothing of the secret itself is revealed.
    package static func mask(_ secret: String) -> String { "****** (\(secret.utf8.count) bytes)" }
}

/// A part of the configuration that can list its effective values.
package protocol ConfigSection: Sendable {
    var entries: [ConfigEntry] { get }
}
