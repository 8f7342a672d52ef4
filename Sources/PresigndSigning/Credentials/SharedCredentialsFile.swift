import PresigndCrypto
import PresigndHTTP
import PresigndSupport

/// The AWS shared credentials file (`~/.aws/credentials`): INI sections named after profiles,
/// `key = value` lines, `#`/`;` comments. Parsing only; the caller reads the file.
package struct SharedCredentialsFile: Sendable {
    package let profiles: [String: [String: String]]

    package init(parsing text: String) {
        var profiles: [String: [String: String]] = [:]
        var current: String?
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let line = rawLine.trimmingSpaces()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                var name = line.dropFirst().dropLast().trimmingSpaces()
                if name.hasPrefix("profile ") { name = name.dropFirst("profile ".count).trimmingSpaces() }
                current = String(name)
                if profiles[String(name)] == nil { profiles[String(name)] = [:] }
                continue
            }
            guard let current, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingSpaces().lowercased()
            let value = line[line.index(after: equals)...].trimmingSpaces()
            profiles[current]?[key] = String(value)
        }
        self.profiles = profiles
    }
}
