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

/// Reads configuration from environment variables (as systemd's `EnvironmentFile=` and the
/// CGI environment provide them). Secrets may also come from `NAME_FILE`, a path to a file
/// holding the value, so they need not sit in the environment.
package struct Environment: Sendable {
    package let variables: [String: String]
    package let readFile: @Sendable (String) -> String?

    package init(_ variables: [String: String], readFile: @escaping @Sendable (String) -> String? = { _ in nil }) {
        self.variables = variables
        self.readFile = readFile
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
            throw ConfigError(variable: name, problem: "set either \(name) or \(fileVariable), not both")
        }
        guard let content = readFile(path) else {
            throw ConfigError(variable: fileVariable, problem: "cannot read the file \(path)")
        }
        var value = Substring(content)
        while value.last == "\n" || value.last == "\r" { value = value.dropLast() }
        guard !value.isEmpty else { throw ConfigError(variable: fileVariable, problem: "the file \(path) is empty") }
        return String(value)
    }

    package func integer(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let text = string(name) else { return defaultValue }
        guard let value = Int(text) else { throw ConfigError(variable: name, problem: "expected a whole number, got \"\(text)\"") }
        guard range.contains(value) else {
            throw ConfigError(variable: name, problem: "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    package func boolean(_ name: String, default defaultValue: Bool) throws(ConfigError) -> Bool {
        guard let text = string(name)?.lowercased() else { return defaultValue }
        switch text {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigError(variable: name, problem: "expected true or false, got \"\(text)\"")
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
