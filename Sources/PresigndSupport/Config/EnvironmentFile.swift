/// Parses an environment file in the format systemd's `EnvironmentFile=` reads: `NAME=value`
/// lines, `#` or `;` comments, blank lines, values optionally in single or double quotes.
/// presignd re-reads it (`PRESIGND_ENV_FILE`) in each new worker, which is how SIGHUP picks
/// up a changed configuration without a restart.
package enum EnvironmentFile {
    package static func parse(_ text: String, path: String) throws(ConfigError) -> [String: String] {
        var variables: [String: String] = [:]
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            var line = rawLine.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.first == "#" || line.first == ";" { continue }
            if line.hasPrefix("export ") { line = line.dropFirst(7) }
            guard let equals = line.firstIndex(of: "="),
                  isName(line[..<equals].trimmingSuffix(while: { $0 == " " })) else {
                throw ConfigError(variable: "PRESIGND_ENV_FILE",
                                  problem: "\(path) line \(index + 1) is not NAME=value")
            }
            let name = String(line[..<equals].trimmingSuffix(while: { $0 == " " }))
            var value = line[line.index(after: equals)...].drop { $0 == " " }
            value = value.trimmingSuffix(while: { $0 == " " || $0 == "\t" })
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = value.dropFirst().dropLast()
            }
            variables[name] = String(value)
        }
        return variables
    }

    static func isName(_ text: Substring) -> Bool {
        guard let first = text.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return text.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }
}

extension Substring {
    fileprivate func trimmingSuffix(while predicate: (Character) -> Bool) -> Substring {
        var result = self
        while let last = result.last, predicate(last) { result = result.dropLast() }
        return result
    }
}
